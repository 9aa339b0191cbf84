import { createRequire } from 'node:module';
import { execa } from 'execa';

/**
 * What a stage's output depends on besides its inputs: the code that makes it (the @distroforge
 * packages' versions) and the host's tools and boot files (versions of the Debian packages that ship
 * mksquashfs, xorriso, GRUB, shim, busybox...). Part of each stage key, so upgrading distroforge or
 * the host's squashfs-tools rebuilds what they make instead of reusing outputs of the old ones.
 */
export const stageToolchains = {
  // An RPM root's rpmdb and its lua scriptlets are written and run by the host's librpm (python3-rpm).
  rootfs: { code: ['rootfs-bootstrap', 'rpm-extract'], debs: ['kmod', 'rpm', 'python3-rpm'] },
  kernel: { code: ['rootfs-bootstrap'], debs: ['kmod'] },
  overlay: { code: ['overlay-apply'], debs: [] },
  image: { code: ['squashfs-wrap'], debs: ['squashfs-tools', 'erofs-utils'] },
  layer: { code: ['squashfs-wrap', 'disk-assemble'], debs: ['squashfs-tools'] },
  initramfs: { code: ['initramfs-cpio'], debs: ['busybox-static', 'kmod'] },
  iso: {
    code: ['iso-assemble', 'boot-loader'],
    debs: [
      'xorriso',
      'grub-common',
      'grub-pc-bin',
      'grub-efi-amd64-bin',
      'grub-efi-amd64-signed',
      'shim-signed',
      'mtools',
      'dosfstools',
    ],
  },
  disk: {
    code: ['disk-assemble', 'boot-loader'],
    debs: [
      'e2fsprogs',
      'grub-common',
      'grub-pc-bin',
      'grub-efi-amd64-bin',
      'grub-efi-amd64-signed',
      'shim-signed',
      'mtools',
      'dosfstools',
      'qemu-utils',
    ],
  },
  'rootfs-tar': { code: [], debs: [] },
  // An RPM image's package list is read from its rpmdb by the host's rpm.
  inventory: { code: [], debs: ['rpm'] },
} satisfies Record<string, { code: readonly string[]; debs: readonly string[] }>;

const require = createRequire(import.meta.url);
let installedDebs: Promise<Map<string, string>> | undefined;

/**
 * `{ "@distroforge/cli": "0.1.0", ..., "deb:squashfs-tools": "1:4.5.1-1" }` for one stage (the
 * StageCache's `toolchain`); a stage not listed depends on the cli's version only.
 */
export async function stageToolchain(stage: string): Promise<Record<string, string>> {
  const { code, debs } = (stageToolchains as Record<string, { code: readonly string[]; debs: readonly string[] }>)[
    stage
  ] ?? { code: [], debs: [] };
  const versions: Record<string, string> = { '@distroforge/cli': packageVersion('@distroforge/cli') };
  for (const name of code) versions[`@distroforge/${name}`] = packageVersion(`@distroforge/${name}`);
  const installed = await debVersions();
  for (const deb of debs) versions[`deb:${deb}`] = installed.get(deb) ?? 'not installed';
  return versions;
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** Versions of the host's installed Debian packages (once per process); empty off Debian. */
function debVersions(): Promise<Map<string, string>> {
  installedDebs ??= (async () => {
    const all = [...new Set(Object.values(stageToolchains).flatMap((t) => t.debs))];
    // dpkg-query exits 1 when some package is unknown but still prints the others.
    const result = await execa('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status} ${Version}\\n', ...all], {
      reject: false,
    });
    const versions = new Map<string, string>();
    for (const line of String(result.stdout ?? '').split('\n')) {
      const [name, status, version] = line.split(' ');
      if (name && status === 'installed' && version) versions.set(name, version);
    }
    return versions;
  })();
  return installedDebs;
}
