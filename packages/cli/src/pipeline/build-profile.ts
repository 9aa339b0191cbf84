import { chmod, copyFile, link, mkdir, readFile, rename, rm, stat, writeFile, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File, sourceDateEpoch, useFileDigestCache, useToolVersionCache, DistroforgeError } from '@distroforge/core';
import { StageCache, type StageResult } from '../engine/stage-cache.js';
import { profilePaths } from '../profile/profile-paths.js';
import { OutputDirectory } from './output-directory.js';
import { loadProfile, type LoadedProfile } from '../profile/load-profile.js';
import type { Reporter } from '../output/reporter.js';
import { rememberingWalker } from '../engine/remembering-walker.js';
import { DEFAULT_EPOCH, type BuildContext } from './build-context.js';
import { busyboxInitramfsStage } from './stage-busybox-initramfs.js';
import { diskStage } from './stage-disk.js';
import { imageStage } from './stage-image.js';
import { isoStage } from './stage-iso.js';
import { layerStage } from './stage-layer.js';
import { kernelStage } from './stage-kernel.js';
import { liveInitramfsStage } from './stage-live-initramfs.js';
import { overlayStage } from './stage-overlay.js';
import { rootfsStage } from './stage-rootfs.js';
import { rootfsTarStage } from './stage-rootfs-tar.js';
import { assertLocked, resolveLock, type LockFile } from './lock-file.js';
import { stageToolchain } from '../engine/toolchain.js';
import { lockState } from '../engine/state-lock.js';

export interface BuildOptions {
  profile: string;
  reporter: Reporter;
  out?: string;
  state?: string;
  signal?: AbortSignal;
  /** Fail unless the profile still resolves to exactly its distroforge.lock. */
  locked?: boolean;
}

export interface BuiltOutput {
  kind: 'iso' | 'disk' | 'initramfs' | 'kernel' | 'squashfs' | 'erofs' | 'rootfs-tar';
  file: string;
  bytes: number;
  sha256: string;
}

/** What a build produced and how; written as out/build-report.json. */
export interface BuildReport {
  profile: string;
  sourceDateEpoch: number;
  outputs: BuiltOutput[];
  stages: { name: string; key: string; cached: boolean; ms: number }[];
  packages: { name: string; version: string; sha256: string }[];
  /** How to boot the result directly (kernel + initrd + command line), for `run --direct` and tests. */
  /** `layers`: read-only images the live init stacks above `rootImage` (further virtio disks, `live.layers=`). */
  direct?: { kernel: string; initrd: string; append: string; rootImage?: string; layers?: string[]; stagingRoot?: string };
  totalMs: number;
}

/** Builds every output a profile asks for, re-running only the stages whose inputs changed. */
export async function buildProfile(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const loaded = await loadProfile(options.profile);
  const paths = profilePaths(loaded.dir, { ...(options.out ? { out: options.out } : {}), ...(options.state ? { state: options.state } : {}) });
  const epoch = sourceDateEpoch(loaded.profile.sourceDateEpoch ?? DEFAULT_EPOCH) ?? DEFAULT_EPOCH;
  // Before any work: an output directory that is no place for outputs is refused at once.
  const outputs = await OutputDirectory.open(paths.outDir, paths.profileDir);
  // One build per state at a time; what a killed build left half-done is removed here.
  const lock = await lockState(paths.stateDir);
  // The dozen tools a build version-checks are asked once per state, not once per build.
  useToolVersionCache(join(paths.stateDir, 'cache', 'tool-versions.json'));
  // So are the digests of unchanged stage outputs (the ISO's input digest reads the root image).
  useFileDigestCache(join(paths.stateDir, 'cache', 'file-digests.json'));
  const logFile = join(paths.stateDir, 'build.log');
  options.reporter.logTo(logFile);
  // External tools and packages that read the environment see the same timestamp.
  const previousEpoch = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = String(epoch);
  let resolution: Promise<LockFile> | undefined;
  // Stops the other branches when one fails (or the caller aborts), so the error is reported at once.
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const ctx: BuildContext = {
    loaded,
    paths,
    reporter: options.reporter,
    cache: new StageCache(paths.stateDir, options.reporter, { signal: stop.signal, toolchain: stageToolchain }),
    epoch,
    logFile,
    signal: stop.signal,
    resolveLock: () => (resolution ??= resolveLock(loaded)),
    walkStageTree: rememberingWalker(),
  };
  try {
    const stages: StageResult<unknown>[] = [];
    const published: BuiltOutput[] = [];
    let packages: BuildReport['packages'] = [];
    let direct: BuildReport['direct'];
    const { profile } = loaded;
    if (profile.source.type === 'busybox') {
      const unsupported = profile.outputs.filter((o) => o !== 'initramfs');
      if (unsupported.length) {
        throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', `a busybox source builds only the initramfs output, not ${unsupported.join(', ')}`, {
          value: unsupported,
          hint: 'set outputs: [initramfs], or use an apt or RPM source for images',
        });
      }
      const kernel = await kernelStage(ctx);
      const initramfs = await busyboxInitramfsStage(ctx, kernel);
      stages.push(kernel, initramfs);
      const vmlinuz = await publish(outputs, join(kernel.dir, kernel.result.vmlinuz), `${profile.name}.vmlinuz`, 'kernel');
      const initrd = await publish(outputs, join(initramfs.dir, initramfs.result.initrd), `${profile.name}.initramfs.img`, 'initramfs');
      published.push(vmlinuz, initrd);
      packages = [{ name: kernel.result.package, version: kernel.result.packageVersion, sha256: '' }];
      direct = { kernel: vmlinuz.file, initrd: initrd.file, append: ['console=ttyS0,115200', 'panic=-1', ...profile.boot.kernelArgs].join(' ') };
    } else {
      if (options.locked) await assertLocked(loaded, ctx.resolveLock);
      const rootfs = await rootfsStage(ctx);
      // A live root in two images: one of the bootstrapped root (rebuilt only when the packages
      // change) and a small layer of what the overlay changed, stacked by the live init. A single
      // image of the whole root is built instead when one is wanted as such (a squashfs output, a
      // disk whose root is the image) or the image is EROFS.
      const layered = profile.image.type === 'squashfs' && !profile.outputs.includes('squashfs') && !(profile.outputs.includes('disk') && profile.disk.root === 'image');
      // Independent branches run side by side: the initramfs needs only the root's kernel, a
      // layered root image only the bootstrapped root; the ISO and the disk image wait for theirs.
      const overlayBuilt = overlayStage(ctx, rootfs);
      const initramfsBuilt = liveInitramfsStage(ctx, rootfs);
      const imageBuilt = layered ? imageStage(ctx, rootfs) : overlayBuilt.then((overlay) => imageStage(ctx, overlay));
      const layerBuilt = layered ? overlayBuilt.then((overlay) => layerStage(ctx, rootfs, overlay)) : Promise.resolve(undefined);
      const [overlay, initramfs, image, layer, iso, disk, tar] = await settleAll(stop, [
        overlayBuilt,
        initramfsBuilt,
        imageBuilt,
        layerBuilt,
        profile.outputs.includes('iso')
          ? Promise.all([imageBuilt, initramfsBuilt, layerBuilt]).then(([i, r, l]) => isoStage(ctx, i, r, l))
          : Promise.resolve(undefined),
        !profile.outputs.includes('disk')
          ? Promise.resolve(undefined)
          : profile.disk.root === 'image'
            ? Promise.all([imageBuilt, initramfsBuilt]).then(([i, r]) => diskStage(ctx, { kind: 'image', image: i }, r))
            : Promise.all([overlayBuilt, initramfsBuilt]).then(([o, r]) => diskStage(ctx, { kind: 'ext4', overlay: o, rootfs }, r)),
        profile.outputs.includes('rootfs-tar') ? overlayBuilt.then((o) => rootfsTarStage(ctx, o)) : Promise.resolve(undefined),
      ] as const);
      stages.push(rootfs, overlay, image, ...(layer ? [layer] : []), initramfs);
      packages = rootfs.result.packages.map(({ name, version, sha256 }) => ({ name, version, sha256 }));
      const kernelOut = await publish(outputs, join(initramfs.dir, initramfs.result.kernel), `${profile.name}.vmlinuz`, 'kernel');
      const initrdOut = await publish(outputs, join(initramfs.dir, initramfs.result.initrd), `${profile.name}.initramfs.img`, 'initramfs');
      published.push(kernelOut, initrdOut);
      // Direct boot: the root image itself is the medium (a virtio disk, /dev/vda), no label
      // search; the layer, if any, is the next disk.
      const imageFile = join(image.dir, image.result.file);
      const layerFile = layer ? join(layer.dir, layer.result.file) : undefined;
      const imageOut = layered ? undefined : await publish(outputs, imageFile, `${profile.name}.${image.result.type}`, image.result.type);
      if (imageOut) published.push(imageOut);
      const directArgs = ['console=tty0', 'console=ttyS0,115200', 'live.device=/dev/vda', 'live.image=', ...(layerFile ? ['live.layers=/dev/vdb'] : []), ...profile.boot.kernelArgs];
      direct = {
        kernel: kernelOut.file,
        initrd: initrdOut.file,
        rootImage: imageOut?.file ?? imageFile,
        ...(layerFile ? { layers: [layerFile] } : {}),
        stagingRoot: join(overlay.dir, 'rootfs'),
        append: directArgs.join(' '),
      };
      if (iso) {
        stages.push(iso);
        published.push(await publish(outputs, join(iso.dir, iso.result.file), iso.result.file, 'iso'));
      }
      if (disk) {
        stages.push(disk);
        published.push(await publish(outputs, join(disk.dir, disk.result.file), disk.result.file, 'disk'));
      }
      if (tar) {
        stages.push(tar);
        published.push(await publish(outputs, join(tar.dir, tar.result.file), tar.result.file, 'rootfs-tar'));
      }
    }
    const report: BuildReport = {
      profile: profile.name,
      sourceDateEpoch: epoch,
      outputs: published,
      stages: stages.map((s) => ({ name: s.name, key: s.key, cached: s.cached, ms: Math.round(s.ms) })),
      packages,
      ...(direct ? { direct } : {}),
      totalMs: Math.round(performance.now() - started),
    };
    await writeFile(await outputs.claim('build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } catch (error) {
    if (error instanceof DistroforgeError && error.hint === undefined) {
      (error as { hint: string | undefined }).hint = `build log: ${logFile}`;
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await ctx.cache.settle();
    await lock.release();
    if (previousEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = previousEpoch;
  }
}

/**
 * Like Promise.all, but on the first failure stops the other branches (through `stop`, which the
 * stages' tools honour) and waits for every branch to finish before failing with that first error,
 * so no stage is still writing when the build reports it.
 */
async function settleAll<T extends readonly unknown[]>(stop: AbortController, promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  let first: { error: unknown } | undefined;
  const watched = promises.map((p) =>
    p.catch((error: unknown) => {
      first ??= { error };
      stop.abort(error);
      throw error;
    }),
  );
  const results = await Promise.allSettled(watched);
  if (first) throw first.error;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Publishes a stage output as out/NAME: a hard link to the (immutable) cached file, made read-only,
 * so publishing costs nothing however large the image; a copy only when out/ is on another
 * filesystem. The SHA-256 is computed once per cached file and kept beside it. A `.sha256` file
 * goes beside the published output.
 */
async function publish(outputs: OutputDirectory, from: string, name: string, kind: BuiltOutput['kind']): Promise<BuiltOutput> {
  const file = await outputs.claim(name);
  const sumFile = await outputs.claim(`${name}.sha256`);
  const source = await stat(from);
  const current = await stat(file).catch(() => undefined);
  if (!(current && current.ino === source.ino && current.dev === source.dev)) {
    const temp = `${file}.partial-${process.pid}`;
    await rm(temp, { force: true });
    await link(from, temp).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EXDEV' && error.code !== 'EPERM') throw error;
      await copyFile(from, temp, constants.COPYFILE_FICLONE);
    });
    await chmod(temp, 0o444);
    // Not renamed over the old output: ext4 (auto_da_alloc) then starts writing back the whole new
    // file inside rename(2), 0.3 s for a disk image just built, and the build waits for it. For a
    // moment out/NAME does not exist; a reader that has it open keeps the old file.
    await rm(file, { force: true });
    await rename(temp, file).catch(async (e: unknown) => {
      await rm(temp, { force: true });
      throw e;
    });
  }
  const sha256 = await cachedSha256(from);
  const sumLine = `${sha256}  ${name}\n`;
  if ((await readFile(sumFile, 'utf8').catch(() => '')) !== sumLine) await writeFile(sumFile, sumLine);
  return { kind, file, bytes: source.size, sha256 };
}

/** The SHA-256 of a cached stage file, computed once and kept in a `.sha256` file beside it. */
async function cachedSha256(file: string): Promise<string> {
  const sidecar = `${file}.sha256`;
  // Either a bare digest or sha256sum's "DIGEST  NAME" (iso-assemble writes one).
  const known = (await readFile(sidecar, 'utf8').catch(() => '')).split(/\s+/)[0] ?? '';
  if (/^[0-9a-f]{64}$/.test(known)) return known;
  const digest = await sha256File(file);
  await writeFile(`${sidecar}.partial`, `${digest}\n`);
  await rename(`${sidecar}.partial`, sidecar);
  return digest;
}

export type { LoadedProfile };
