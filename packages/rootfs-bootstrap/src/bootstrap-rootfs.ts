import { emptyManifest, mergeManifest, sourceDateEpoch, type Manifest, type ManifestEntry } from '@distroforge/core';
import { buildAtomically } from './build-atomically.js';
import { copyFile, link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { withChroot, type ChrootSession } from './chroot-session.js';
import { BootstrapOptionsError, TargetNotEmptyError } from './errors.js';
import { removeVolatileFiles, scanTree } from './finish-tree.js';
import { bootstrapOptionsSchema, parseOptions, type BootstrapOptions, type NormalisedBootstrapOptions } from './options.js';
import type { PackageCandidate } from './package-candidate.js';
import { fetchPackages } from './package-cache.js';
import { planRootfs, type ResolvedRootfsPackage, type ResolveResult } from './resolve-rootfs.js';
import { unpackDeb } from './unpack-deb.js';

/** Maintainer scripts dpkg ran for one package. */
export interface MaintainerScripts {
  package: string;
  scripts: ('preinst' | 'postinst')[];
}

/** What `bootstrapRootfs` returns. */
export interface BootstrapResult {
  target: string;
  suite: string;
  variant: string;
  architecture: string;
  /** The installed packages, sorted by name: the future lock file. */
  packages: ResolvedRootfsPackage[];
  /** Owners, special modes and device nodes of the tree (DESIGN.md principle 2). */
  manifest: Manifest;
  /** Whether maintainer scripts ran (dpkg in a chroot); when false, `skippedReason` says why. */
  configured: boolean;
  skippedReason?: string;
  maintainerScripts: MaintainerScripts[];
  /** dpkg's output (outside the tree). */
  logFile: string;
  timings: ResolveResult['timings'] & { downloadMs: number; unpackMs: number; configureMs: number; finishMs: number; totalMs: number };
}

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Builds a Debian root filesystem in `target`: resolves and verifies the packages, unpacks the
 * essential set in-process, then (as root) installs everything with the target's own dpkg in a
 * chroot so maintainer scripts run. The tree appears at `target` only when everything succeeded.
 */
export async function bootstrapRootfs(options: BootstrapOptions): Promise<BootstrapResult> {
  const o = parseOptions(bootstrapOptionsSchema, options);
  const start = performance.now();
  const target = resolve(o.target);
  await assertEmptyTarget(target);
  const isRoot = process.getuid?.() === 0;
  if (o.configure === 'always' && !isRoot) {
    throw new BootstrapOptionsError('configure: "always" needs root (dpkg runs in a chroot of the target)', { value: 'configure' });
  }
  const configure = o.configure === 'always' || (o.configure === 'auto' && isRoot);
  const epoch = sourceDateEpoch();

  const plan = await planRootfs(o);
  let t = performance.now();
  const files = await fetchPackages(plan.order, {
    cacheDir: plan.cacheDir,
    concurrency: o.concurrency,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const downloadMs = performance.now() - t;

  const logDir = o.logFile ? undefined : await mkdtemp(join(tmpdir(), 'distroforge-bootstrap-'));
  const logFile = o.logFile ?? join(logDir!, 'dpkg.log');
  await writeFile(logFile, '');

  const timings = { unpackMs: 0, configureMs: 0, finishMs: 0 };
  const { manifest, maintainerScripts } = await buildAtomically(target, async (root) => {
    await createSkeleton(root, o);
    t = performance.now();
    // The essential set is unpacked in-process so the chroot has a shell, libc and dpkg; as root,
    // dpkg then installs it properly (and everything else), as mmdebstrap does.
    const essential = plan.order.filter((p) => plan.essentialSet.has(p.name));
    const unpackNow = configure ? essential : plan.order;
    // As root, dpkg unpacks everything again afterwards, so the order of this first pass does not
    // matter and two packages unpack at a time; otherwise the archive order decides overlaps.
    const perPackage: ManifestEntry[][] = [];
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < unpackNow.length; i = next++) {
        const pkg = unpackNow[i]!;
        perPackage[i] = (await unpackDeb(files.get(pkg.name)!, root, { chown: isRoot })).manifest;
        o.onProgress?.({ phase: 'unpack', name: pkg.name, done: ++done, total: unpackNow.length });
      }
    };
    await Promise.all(Array.from({ length: configure ? 2 : 1 }, worker));
    const manifestEntries = perPackage.flat();
    timings.unpackMs = performance.now() - t;
    t = performance.now();
    let scripts: MaintainerScripts[] = [];
    if (configure) {
      scripts = await configureInChroot(root, plan.order, plan.essentialSet, files, o, logFile, epoch);
    }
    timings.configureMs = performance.now() - t;
    t = performance.now();
    await removeVolatileFiles(root);
    const scanned = await scanTree(root, epoch);
    timings.finishMs = performance.now() - t;
    // As root the disk is the truth after the scripts ran; otherwise the archives' headers are.
    const entries = configure ? scanned : [...scanned, ...manifestEntries];
    return { manifest: mergeManifest(emptyManifest(), entries), maintainerScripts: scripts };
  });

  return {
    target,
    suite: plan.result.suite,
    variant: plan.result.variant,
    architecture: plan.result.architecture,
    packages: plan.result.packages,
    manifest,
    configured: configure,
    ...(configure ? {} : { skippedReason: isRoot ? 'configure: "never" was requested' : 'not running as root: maintainer scripts were not run' }),
    maintainerScripts,
    logFile,
    timings: {
      ...plan.result.timings,
      downloadMs: Math.round(downloadMs),
      unpackMs: Math.round(timings.unpackMs),
      configureMs: Math.round(timings.configureMs),
      finishMs: Math.round(timings.finishMs),
      totalMs: Math.round(performance.now() - start),
    },
  };
}

async function assertEmptyTarget(target: string): Promise<void> {
  const stats = await stat(target).catch(() => undefined);
  if (!stats) return;
  if (!stats.isDirectory() || (await readdir(target)).length > 0) throw new TargetNotEmptyError(target);
}

/** The directories and files dpkg and apt expect before the first package. */
async function createSkeleton(root: string, o: NormalisedBootstrapOptions): Promise<void> {
  for (const dir of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'etc/apt/trusted.gpg.d', 'etc/dpkg/dpkg.cfg.d', 'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/log/apt', 'dev', 'proc', 'sys', 'run', 'var/tmp']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await mkdir(join(root, 'tmp'), { mode: 0o1777 });
  const { chmod } = await import('node:fs/promises');
  await chmod(join(root, 'tmp'), 0o1777);
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await writeFile(join(root, 'var/lib/dpkg/available'), '');
  await writeFile(join(root, 'var/lib/dpkg/arch'), `${o.architecture}\n`);
  const networked = (o.mirrors ?? []).length === 0 || (o.mirrors ?? []).every((m) => /^(deb )?https?:/.test(m));
  if (networked && o.mirrors && o.mirrors.length > 0) {
    const lines = o.mirrors.map((m) => (m.startsWith('deb ') ? m : `deb ${m} ${o.suite} ${o.components.join(' ')}`));
    await writeFile(join(root, 'etc/apt/sources.list'), `${lines.join('\n')}\n`);
  }
}

async function configureInChroot(
  root: string,
  order: readonly PackageCandidate[],
  essentialSet: ReadonlySet<string>,
  files: ReadonlyMap<string, string>,
  o: NormalisedBootstrapOptions,
  logFile: string,
  epoch: number | undefined,
): Promise<MaintainerScripts[]> {
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
    ...(o.initramfs ? {} : { INITRD: 'No' }),
  };
  const dpkg = ['dpkg', '--force-unsafe-io', '--force-depends'];
  const essential = order.filter((p) => essentialSet.has(p.name));
  // base-passwd's preinst creates /etc/passwd, which other packages' files and scripts need.
  essential.sort((a, b) => Number(b.name === 'base-passwd') - Number(a.name === 'base-passwd'));
  const rest = order.filter((p) => !essentialSet.has(p.name));
  const divert = !o.initramfs && order.some((p) => p.name === 'initramfs-tools' || p.name === 'dracut' || p.name.startsWith('linux-image-'));
  await withChroot(root, env, logFile, async (chroot: ChrootSession) => {
    o.onProgress?.({ phase: 'configure', step: 'install essential packages' });
    await chroot.run([...dpkg, '--install', ...essential.map((p) => inRoot.get(p.name)!)]);
    if (divert) await divertInitramfs(root, chroot, true);
    if (rest.length > 0) {
      o.onProgress?.({ phase: 'configure', step: 'install remaining packages' });
      await chroot.run([...dpkg, '--install', ...rest.map((p) => inRoot.get(p.name)!)]);
    }
    o.onProgress?.({ phase: 'configure', step: 'configure all' });
    await chroot.run(['dpkg', '--force-unsafe-io', '--configure', '-a']);
    if (divert) await divertInitramfs(root, chroot, false);
  });
  await rm(join(root, debDir), { recursive: true, force: true });
  await rm(join(root, 'usr/sbin/policy-rc.d'), { force: true });
  const info = new Set(await readdir(join(root, 'var/lib/dpkg/info')));
  return order
    .map((p) => {
      const base = info.has(`${p.name}.list`) ? p.name : `${p.name}:${p.architecture}`;
      const scripts = (['preinst', 'postinst'] as const).filter((s) => info.has(`${base}.${s}`));
      return { package: p.name, scripts: [...scripts] };
    })
    .filter((s) => s.scripts.length > 0)
    .sort((a, b) => (a.package < b.package ? -1 : 1));
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
