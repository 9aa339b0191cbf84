// The boot chain of the rpm test repository: Debian's signed shim, signed GRUB and GRUB modules
// (the build host's shim-signed, shim-helpers-amd64-signed, grub-efi-amd64-signed, grub-pc-bin,
// grub-efi-amd64-bin) repackaged as the EL packages that carry them, in the EL layout:
//   shim-x64              /boot/efi/EFI/rocky/shimx64.efi, mmx64.efi, /boot/efi/EFI/BOOT/BOOTX64.EFI
//   grub2-efi-x64         /boot/efi/EFI/rocky/grubx64.efi (Debian's grubx64.efi.signed)
//   grub2-pc-modules      /usr/lib/grub/i386-pc/
//   grub2-efi-x64-modules /usr/lib/grub/x86_64-efi/
// With the repository's kernel (Debian's signed kernel), an image that installs them boots with
// Secure Boot from its own chain (distroforge's ISO and disk take boot files from the image first).
// generate.mjs builds them with the others; bootChainKey() goes into its cache key.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the host's files come from. */
export const BOOT_CHAIN_SOURCES = {
  shim: '/usr/lib/shim/shimx64.efi.signed',
  mokManager: '/usr/lib/shim/mmx64.efi.signed',
  grub: '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed',
  grubI386Pc: '/usr/lib/grub/i386-pc',
  grubX8664Efi: '/usr/lib/grub/x86_64-efi',
};

/** The EFI vendor directory of the packages (`/boot/efi/EFI/<vendor>`). */
export const BOOT_CHAIN_VENDOR = 'rocky';

/** The package names, for profiles and tests. */
export const BOOT_CHAIN_PACKAGE_NAMES = ['shim-x64', 'grub2-efi-x64', 'grub2-pc-modules', 'grub2-efi-x64-modules'];

const DEBS = ['shim-signed', 'shim-helpers-amd64-signed', 'grub-efi-amd64-signed', 'grub-pc-bin', 'grub-efi-amd64-bin'];

/** Versions of the host's Debian packages, `name version` lines (rpm versions have no `-` or `~`). */
function debVersions() {
  const out = execFileSync('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', ...DEBS], { encoding: 'utf8' });
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(' ')),
  );
}

const rpmVersion = (deb) => deb.replace(/^\d+:/, '').replace(/[-~+:]/g, '_');

/** Cache key part: every source file's size and mtime, and the Debian versions. Throws when one is missing. */
export async function bootChainKey() {
  const hash = createHash('sha256');
  for (const [name, version] of debVersions()) hash.update(`${name} ${version}\n`);
  for (const path of Object.values(BOOT_CHAIN_SOURCES)) {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) {
        const entry = await stat(join(path, name));
        hash.update(`${path}/${name} ${entry.size} ${entry.mtimeMs}\n`);
      }
    } else hash.update(`${path} ${info.size} ${info.mtimeMs}\n`);
  }
  hash.update(await readFile(new URL(import.meta.url)));
  return hash.digest('hex');
}

function spec({ name, version, arch, summary, requires = '', install, files }) {
  return `
%global debug_package %{nil}
%global __os_install_post %{nil}
%global __strip /bin/true
Name: ${name}
Version: ${version}
Release: 1
Summary: ${summary}
License: GPL-3.0-or-later
BuildArch: ${arch}
AutoReqProv: no
${requires}
%description
${summary} (rpm test repository, boot-chain.mjs: Debian's binaries in the EL layout)
%install
${install}
%files
%defattr(0644, root, root, 0755)
${files}
`;
}

/**
 * The packages: `id` names the rpmbuild work folder, `spec` the spec file, `arch` rpmbuild's
 * target. Needs the host's Debian packages listed in BOOT_CHAIN_SOURCES.
 */
export function bootChainPackages() {
  const v = debVersions();
  const efi = `/boot/efi/EFI/${BOOT_CHAIN_VENDOR}`;
  return [
    {
      id: 'shim-x64',
      arch: 'x86_64',
      spec: spec({
        name: 'shim-x64',
        version: rpmVersion(v.get('shim-signed') ?? '0'),
        arch: 'x86_64',
        summary: "Debian's Microsoft-signed shim and MokManager",
        requires: 'Requires: filesystem',
        install: [
          `mkdir -p %{buildroot}${efi} %{buildroot}/boot/efi/EFI/BOOT`,
          `cp ${BOOT_CHAIN_SOURCES.shim} %{buildroot}${efi}/shimx64.efi`,
          `cp ${BOOT_CHAIN_SOURCES.mokManager} %{buildroot}${efi}/mmx64.efi`,
          `cp ${BOOT_CHAIN_SOURCES.shim} %{buildroot}/boot/efi/EFI/BOOT/BOOTX64.EFI`,
        ].join('\n'),
        files: [
          `%dir /boot/efi/EFI/BOOT`,
          `%dir ${efi}`,
          `${efi}/shimx64.efi`,
          `${efi}/mmx64.efi`,
          '/boot/efi/EFI/BOOT/BOOTX64.EFI',
        ].join('\n'),
      }),
    },
    {
      id: 'grub2-efi-x64',
      arch: 'x86_64',
      spec: spec({
        name: 'grub2-efi-x64',
        version: rpmVersion(v.get('grub-efi-amd64-signed') ?? '0'),
        arch: 'x86_64',
        summary: "Debian's signed GRUB EFI image",
        requires: 'Requires: filesystem',
        install: [`mkdir -p %{buildroot}${efi}`, `cp ${BOOT_CHAIN_SOURCES.grub} %{buildroot}${efi}/grubx64.efi`].join(
          '\n',
        ),
        files: `%dir ${efi}\n${efi}/grubx64.efi`,
      }),
    },
    ...[
      { name: 'grub2-pc-modules', dir: BOOT_CHAIN_SOURCES.grubI386Pc, deb: 'grub-pc-bin', platform: 'i386-pc' },
      {
        name: 'grub2-efi-x64-modules',
        dir: BOOT_CHAIN_SOURCES.grubX8664Efi,
        deb: 'grub-efi-amd64-bin',
        platform: 'x86_64-efi',
      },
    ].map((m) => ({
      id: m.name,
      arch: 'noarch',
      spec: spec({
        name: m.name,
        version: rpmVersion(v.get(m.deb) ?? '0'),
        arch: 'noarch',
        summary: `Debian's GRUB ${m.platform} modules`,
        requires: 'Requires: filesystem',
        install: `mkdir -p %{buildroot}/usr/lib/grub\ncp -r ${m.dir} %{buildroot}/usr/lib/grub/${m.platform}`,
        files: `/usr/lib/grub/${m.platform}`,
      }),
    })),
  ];
}
