import { link, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withChroot, type ChrootSession } from './chroot-session.js';
import { performance } from 'node:perf_hooks';
import type { InstallReport, MaintainerScripts, SourceInstallRequest } from './package-source.js';

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Installs every package with the target's own dpkg in a chroot: the essential set first (with
 * --force-depends, as mmdebstrap does: dpkg ignores Pre-Depends order within one call), then the
 * rest, then `dpkg --configure -a`. policy-rc.d forbids service starts; update-initramfs is diverted
 * unless an initramfs is wanted.
 */
export async function installWithDpkg(request: SourceInstallRequest): Promise<InstallReport> {
  const { root, order, essentialSet, files, logFile, sourceDateEpoch: epoch, onProgress, signal } = request;
  const debDir = 'var/cache/distroforge-debs';
  await mkdir(join(root, debDir), { recursive: true });
  const inRoot = new Map<string, string>();
  for (const pkg of order) {
    const name = `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_${pkg.architecture}.deb`;
    const source = files.get(pkg.name)!;
    await link(source, join(root, debDir, name)).catch(() => copyFile(source, join(root, debDir, name)));
    inRoot.set(pkg.name, `/${debDir}/${name}`);
  }
  await writeFile(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\n# installed by rootfs-bootstrap: no service starts\nexit 101\n', { mode: 0o755 });
  const env: Record<string, string> = {
    PATH: CHROOT_PATH,
    LC_ALL: 'C.UTF-8',
    DEBIAN_FRONTEND: 'noninteractive',
    DEBCONF_NONINTERACTIVE_SEEN: 'true',
    HOME: '/root',
    ...(epoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(epoch) }),
    ...(request.initramfs ? {} : { INITRD: 'No' }),
  };
  const dpkg = ['dpkg', '--force-unsafe-io', '--force-depends'];
  const essential = order.filter((p) => essentialSet.has(p.name));
  // base-passwd's preinst creates /etc/passwd, which other packages' files and scripts need.
  essential.sort((a, b) => Number(b.name === 'base-passwd') - Number(a.name === 'base-passwd'));
  const rest = order.filter((p) => !essentialSet.has(p.name));
  const divert = !request.initramfs && order.some((p) => p.name === 'initramfs-tools' || p.name === 'dracut' || p.name.startsWith('linux-image-'));
  const steps: InstallReport['steps'] = [];
  await withChroot(root, env, logFile, signal, async (chroot: ChrootSession) => {
    const step = async (name: string, argv: string[]) => {
      onProgress?.({ phase: 'configure', step: name });
      const started = performance.now();
      await chroot.run(argv);
      steps.push({ step: name, ms: Math.round(performance.now() - started) });
    };
    await step('install essential packages', [...dpkg, '--install', ...essential.map((p) => inRoot.get(p.name)!)]);
    if (divert) await divertInitramfs(root, chroot, true);
    if (rest.length > 0) {
      await step('install remaining packages', [...dpkg, '--install', ...rest.map((p) => inRoot.get(p.name)!)]);
    }
    await step('configure all', ['dpkg', '--force-unsafe-io', '--configure', '-a']);
    if (divert) await divertInitramfs(root, chroot, false);
  });
  await rm(join(root, debDir), { recursive: true, force: true });
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
  return { maintainerScripts, steps };
}

/** Replaces update-initramfs by a no-op while kernels install (saves ~30 s per kernel), then restores it. */
async function divertInitramfs(root: string, chroot: ChrootSession, on: boolean): Promise<void> {
  const path = '/usr/sbin/update-initramfs';
  if (on) {
    await chroot.run(['dpkg-divert', '--local', '--rename', '--divert', `${path}.distroforge`, '--add', path]);
    await writeFile(join(root, path), '#!/bin/sh\n# rootfs-bootstrap: initramfs generation skipped\nexit 0\n', { mode: 0o755 });
  } else {
    await rm(join(root, path), { force: true });
    await chroot.run(['dpkg-divert', '--local', '--rename', '--divert', `${path}.distroforge`, '--remove', path]);
  }
}
