import { assignOwners, withImageRoot, type ImageRootSession, type ManifestEntry } from '@distroforge/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { activateFileTriggers } from './dpkg/database.js';
import { runPreinsts } from './dpkg/preinst.js';
import { DataDecodeAhead } from './deb/decode-ahead.js';
import { ownersToAssign, unpackIntoDpkgDatabase } from './dpkg/unpack.js';
import type { PackageCandidate } from '../package-candidate.js';
import type { InstallReport, SourceInstallRequest } from '../package-source.js';

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Names of the install steps, in order (`configureSteps` in the result). */
export const INSTALL_STEPS = {
  unpackEssential: 'unpack essential packages',
  preinstEssential: 'preinst essential packages',
  configureEssential: 'configure essential packages',
  unpackRemaining: 'unpack remaining packages',
  preinstRemaining: 'preinst remaining packages',
  configureAll: 'configure all',
} as const;

/** Steps that write package files (the `unpackMs` share of the time). */
export const UNPACK_STEPS: ReadonlySet<string> = new Set([
  INSTALL_STEPS.unpackEssential,
  INSTALL_STEPS.unpackRemaining,
]);

/**
 * Installs every package as `dpkg --install` would, in two stages like mmdebstrap (the essential
 * set, then the rest), without making dpkg unpack anything: each stage is unpacked in-process and
 * recorded in dpkg's database as `unpacked` (`unpackIntoDpkgDatabase`), its preinst scripts run
 * (`preinst install`, in installation order, base-passwd first), and the target's own dpkg runs
 * `--configure` in the image root (postinst scripts, conffiles, triggers), in a user namespace
 * (`withImageRoot`) whether the caller is root or not. Before the scripts see the files, their owners
 * from the archives are assigned inside the namespace (`assignOwners`); the caller reads them back
 * and returns the tree to the invoking user when all is done. The rest is unpacked after the
 * essential set is configured, so it lands through the merged-/usr symlinks and the diversions the
 * essential set's scripts made, and file triggers it activates are handed to dpkg.
 * policy-rc.d forbids service starts; update-initramfs is diverted unless an initramfs is wanted.
 */
export async function installWithDpkg(request: SourceInstallRequest): Promise<InstallReport> {
  const { root, order, essentialSet, files, sourceDateEpoch: epoch, onProgress, signal, namespace } = request;
  const env: Record<string, string> = {
    PATH: CHROOT_PATH,
    LC_ALL: 'C.UTF-8',
    DEBIAN_FRONTEND: 'noninteractive',
    DEBCONF_NONINTERACTIVE_SEEN: 'true',
    HOME: '/root',
    ...(epoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(epoch) }),
    ...(request.initramfs ? {} : { INITRD: 'No' }),
  };
  const essential = order.filter((p) => essentialSet.has(p.name));
  // base-passwd's preinst creates /etc/passwd, which other packages' scripts need.
  essential.sort((a, b) => Number(b.name === 'base-passwd') - Number(a.name === 'base-passwd'));
  const rest = order.filter((p) => !essentialSet.has(p.name));
  const divert =
    !request.initramfs &&
    order.some((p) => p.name === 'initramfs-tools' || p.name === 'dracut' || p.name.startsWith('linux-image-'));
  const dpkgVersion = order.find((p) => p.name === 'dpkg')?.version ?? '';
  const steps: InstallReport['steps'] = [];
  const owners = new Map<string, string>();
  let unpackedCount = 0;
  const onUnpacked = (name: string) =>
    onProgress?.({ phase: 'unpack', name, done: ++unpackedCount, total: order.length });
  const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    onProgress?.({ phase: 'configure', step: name });
    const started = performance.now();
    const result = await body();
    steps.push({ step: name, ms: Math.round(performance.now() - started) });
    return result;
  };
  const archiveEntries: ManifestEntry[] = [];
  const unpack = async (
    packages: readonly PackageCandidate[],
    keepExistingDirectories: boolean,
    ahead?: DataDecodeAhead,
  ) => {
    const unpacked = await unpackIntoDpkgDatabase(root, packages, files, {
      concurrency: UNPACK_CONCURRENCY,
      owners,
      keepExistingDirectories,
      onUnpacked,
      ...(ahead ? { decodedData: (name: string) => ahead.take(name) } : {}),
    });
    archiveEntries.push(...unpacked.flatMap((u) => u.manifest));
    await assignOwners(namespace, root, ownersToAssign(root, unpacked));
    return unpacked;
  };

  const essentialUnpacked = await timed(INSTALL_STEPS.unpackEssential, () => unpack(essential, false));
  if (rest.length === 0) await request.onFilesUnpacked?.(root);
  await mkdir(join(root, 'usr/sbin'), { recursive: true });
  await writeFile(
    join(root, 'usr/sbin/policy-rc.d'),
    '#!/bin/sh\n# installed by rootfs-bootstrap: no service starts\nexit 101\n',
    { mode: 0o755 },
  );
  // The rest's data members are decoded while the essential set's scripts run on one core, the
  // largest first: they gain the most, and the small ones the unpack reaches first decode at once.
  const largestFirst = [...rest].sort((a, b) => b.size - a.size);
  const ahead =
    rest.length > 0 ? await DataDecodeAhead.start(dirname(root), pickFiles(files, largestFirst)) : undefined;
  try {
    await withImageRoot(
      root,
      { env, logFile: request.logFile, namespace, ...(signal ? { signal } : {}) },
      async (chroot: ImageRootSession) => {
        await timed(INSTALL_STEPS.preinstEssential, () => runPreinsts(root, chroot, essentialUnpacked, dpkgVersion));
        // As mmdebstrap installs the essential set: dpkg ignores Pre-Depends order within one call.
        await timed(INSTALL_STEPS.configureEssential, () =>
          chroot.run(['dpkg', '--force-unsafe-io', '--force-depends', '--configure', '-a']),
        );
        if (divert) await divertInitramfs(root, chroot, true);
        if (rest.length > 0) {
          const restUnpacked = await timed(INSTALL_STEPS.unpackRemaining, async () => {
            const unpacked = await unpack(rest, true, ahead);
            await ahead?.close(); // the decoded tarballs were read
            await activateFileTriggers(
              root,
              unpacked.flatMap((u) => u.listed),
            );
            return unpacked;
          });
          await request.onFilesUnpacked?.(root);
          await timed(INSTALL_STEPS.preinstRemaining, () => runPreinsts(root, chroot, restUnpacked, dpkgVersion));
        }
        await timed(INSTALL_STEPS.configureAll, () => chroot.run(['dpkg', '--force-unsafe-io', '--configure', '-a']));
        if (divert) await divertInitramfs(root, chroot, false);
      },
    );
  } finally {
    await ahead?.close();
  }
  await rm(join(root, 'usr/sbin/policy-rc.d'), { force: true });
  const info = new Set(await readdir(join(root, 'var/lib/dpkg/info')));
  const maintainerScripts = order
    .map((p) => {
      const base = info.has(`${p.name}.list`) ? p.name : `${p.name}:${p.architecture}`;
      const scripts = (['preinst', 'postinst'] as const).filter((s) => info.has(`${base}.${s}`));
      return { package: p.name, scripts: [...scripts] };
    })
    .filter((s) => s.scripts.length > 0)
    .sort((a, b) => (a.package < b.package ? -1 : 1));
  // Nodes cannot be made in a user namespace: the archives' device nodes and fifos live in the manifest.
  const nodes = archiveEntries.filter((e) => e.type === 'char' || e.type === 'block' || e.type === 'fifo');
  return { maintainerScripts, steps, manifest: nodes };
}

/** The package files of `packages`, by name. */
function pickFiles(files: ReadonlyMap<string, string>, packages: readonly PackageCandidate[]): Map<string, string> {
  return new Map(packages.map((p) => [p.name, files.get(p.name)!]));
}

/** Two packages unpack at a time: each also keeps a decompressor process busy. */
const UNPACK_CONCURRENCY = 2;

/** Replaces update-initramfs by a no-op while kernels install (saves ~30 s per kernel), then restores it. */
async function divertInitramfs(root: string, chroot: ImageRootSession, on: boolean): Promise<void> {
  const path = '/usr/sbin/update-initramfs';
  if (on) {
    await chroot.run(['dpkg-divert', '--local', '--rename', '--divert', `${path}.distroforge`, '--add', path]);
    await writeFile(join(root, path), '#!/bin/sh\n# rootfs-bootstrap: initramfs generation skipped\nexit 0\n', {
      mode: 0o755,
    });
  } else {
    await rm(join(root, path), { force: true });
    await chroot.run(['dpkg-divert', '--local', '--rename', '--divert', `${path}.distroforge`, '--remove', path]);
  }
}
