import { chmod, copyFile, link, mkdir, readFile, rename, rm, stat, writeFile, constants } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { join } from 'node:path';
import {
  sha256File,
  sourceDateEpoch,
  useFileDigestCache,
  useToolVersionCache,
  DistroforgeError,
} from '@distroforge/core';
import { StageCache, type StageResult } from '../engine/stage-cache.js';
import { profilePaths } from '../profile/profile-paths.js';
import { OutputDirectory } from './output-directory.js';
import { loadProfile, type LoadedProfile } from '../profile/load-profile.js';
import type { Reporter } from '../output/reporter.js';
import { rememberingWalker } from '../engine/remembering-walker.js';
import { DEFAULT_EPOCH, firmwareFlags, type BuildContext } from './build-context.js';
import { DEFAULT_BUILD_MODE } from './image-compression.js';
import { assertLocked, lockedReleases, resolveLock, type LockFile } from './lock-file.js';
import { aptMetadataOptions, MetadataFloor, metadataFloorFile, type MetadataRules } from './metadata-floor.js';
import { finalTreeStage, publicationsOf, stagesFor, type BuildScope } from './build-stages.js';
import type { PublishedKind } from './output-kinds.js';
import type { ImageStageResult } from './stage-image.js';
import type { KernelStageResult } from './stage-kernel.js';
import type { LayerStageResult } from './stage-layer.js';
import type { RootfsStageResult } from './rootfs-common.js';
import { runGraph, type GraphResults } from '../engine/stage-graph.js';
import { bootFilesOnce, type BootFilesReport } from './stage-boot-files.js';
import { stageToolchain } from '../engine/toolchain.js';
import { lockState } from '../engine/state-lock.js';
import { liveKernelArgs } from '@distroforge/initramfs-cpio';
import { publishReport } from '../report/publish-report.js';
import type { ReportInventory } from '../report/report-inventory.js';
import { INVENTORY_FILES } from './stage-inventory.js';
import { handsKernelEarly, RootKernelHandoff } from './root-kernel.js';

export interface BuildOptions {
  profile: string;
  reporter: Reporter;
  out?: string;
  state?: string;
  signal?: AbortSignal;
  /** Fail unless the profile still resolves to exactly its distroforge.lock. */
  locked?: boolean;
  /** Accept package metadata older than the lock file's or the last build's (`--allow-rollback`). */
  allowRollback?: boolean;
  /** The release preset (smallest root image) instead of the development one (fastest build): `--release`. */
  release?: boolean;
  /**
   * Only the stages a boot without a medium needs (`test`/`run` with only 9p, virtiofs or direct
   * boots): `share` the kernel, live initramfs and finished tree; `direct` the root image as well.
   */
  only?: BuildScope;
}

export interface BuiltOutput {
  kind: PublishedKind;
  file: string;
  bytes: number;
  sha256: string;
}

/** What a build produced and how; written as out/build-report.json. */
export interface BuildReport {
  profile: string;
  sourceDateEpoch: number;
  /** Set when the build ran only the stages of one kind of boot (BuildOptions.only): the outputs are those alone. */
  only?: BuildScope;
  outputs: BuiltOutput[];
  /** Each stage: its cache key, whether the cache had it, when it started (ms after the build began) and how long it took. */
  stages: { name: string; key: string; cached: boolean; startMs: number; ms: number }[];
  packages: { name: string; version: string; sha256: string }[];
  /** How to boot the result directly (kernel + initrd + command line), for `run --direct` and tests. */
  /** `layers`: read-only images the live init stacks above `rootImage` (further virtio disks, `live.layers=`). */
  direct?: {
    kernel: string;
    initrd: string;
    append: string;
    rootImage?: string;
    layers?: string[];
    stagingRoot?: string;
  };
  /**
   * Per output (iso, disk) and firmware: whether the image's own boot files (shim, GRUB, modules)
   * or the host's were used, each file with its digest, and for the host's why.
   */
  bootFiles?: (BootFilesReport & { output: 'iso' | 'disk' })[];
  totalMs: number;
}

/** Builds every output a profile asks for, re-running only the stages whose inputs changed. */
export async function buildProfile(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const loaded = await loadProfile(options.profile);
  const paths = profilePaths(loaded.dir, {
    ...(options.out ? { out: options.out } : {}),
    ...(options.state ? { state: options.state } : {}),
  });
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
  const metadata: MetadataRules = {
    floor: await MetadataFloor.load(metadataFloorFile(paths.stateDir)),
    lockReleases: await lockedReleases(loaded.dir),
    allowRollback: options.allowRollback === true,
  };
  // Stops the other stages when one fails (or the caller aborts), so the error is reported at once.
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
    mode: options.release === true ? 'release' : DEFAULT_BUILD_MODE,
    logFile,
    signal: stop.signal,
    metadata,
    resolveLock: () =>
      (resolution ??= resolveLock(loaded, aptMetadataOptions(metadata)).then((lock) => {
        if ('releases' in lock) metadata.floor.recordReleases(lock.releases ?? []);
        return lock;
      })),
    walkStageTree: rememberingWalker(),
    bootFilesOf: bootFilesOnce(firmwareFlags(loaded)),
    // Cleaned up after a killed build with the stages' partial outputs (`.NAME.partial-PID`).
    ...(handsKernelEarly(loaded.profile)
      ? {
          rootKernel: new RootKernelHandoff(
            join(paths.stateDir, 'stages', 'initramfs', `.kernel-copy.partial-${process.pid}`),
            {
              logFile,
              onNoCopy: (error) =>
                options.reporter.emit({
                  type: 'log',
                  stage: 'initramfs',
                  line: `no early copy of the root's kernel (${(error as Error).message}): made from the finished root`,
                }),
            },
          ),
        }
      : {}),
  };
  try {
    const { profile } = loaded;
    if (profile.source.type === 'busybox') {
      const unsupported = profile.outputs.filter((o) => o !== 'initramfs');
      if (unsupported.length) {
        throw new CliError(
          'ERR_SOURCE_UNSUPPORTED',
          `a busybox source builds only the initramfs output, not ${unsupported.join(', ')}`,
          {
            value: unsupported,
            hint: 'set outputs: [initramfs], or use an apt or RPM source for images',
          },
        );
      }
    } else if (options.locked) await assertLocked(loaded, ctx.resolveLock);
    const applicable = stagesFor(profile, options.only);
    // When each stage finished (ms since the build started): with its duration, where it sits on
    // the report's timeline of stages run side by side.
    const endedAt = new Map<string, number>();
    const results = await runGraph(
      applicable.map((stage) => ({
        name: stage.name,
        needs: stage.needs(profile),
        run: async (c: BuildContext, done: GraphResults) => {
          const result = await stage.run(c, done);
          endedAt.set(stage.name, performance.now() - started);
          return result;
        },
      })),
      ctx,
      stop,
    );
    const done = (name: string) => results.get(name) as StageResult<never>;
    const stages = applicable.map((stage) => done(stage.name));
    const published: BuiltOutput[] = [];
    for (const publication of publicationsOf(applicable, results, profile))
      published.push(await publish(outputs, publication.from, publication.name, publication.kind));
    const file = (kind: PublishedKind) => published.find((o) => o.kind === kind)?.file as string;
    let packages: BuildReport['packages'];
    let direct: BuildReport['direct'];
    if (profile.source.type === 'busybox') {
      const kernel = done('kernel') as StageResult<KernelStageResult>;
      packages = [{ name: kernel.result.package, version: kernel.result.packageVersion, sha256: '' }];
      direct = {
        kernel: file('kernel'),
        initrd: file('initramfs'),
        append: ['console=ttyS0,115200', 'panic=-1', ...profile.boot.kernelArgs].join(' '),
      };
    } else {
      packages = (done('rootfs') as StageResult<RootfsStageResult>).result.packages.map(
        ({ name, version, sha256 }) => ({ name, version, sha256 }),
      );
      // Direct boot: the root image itself is the medium (a virtio disk, /dev/vda), no label
      // search; the layer, if any, is the next disk. A build without the image (only: 'share')
      // boots the finished tree shared over 9p (tag rootfs).
      const image = results.has('image') ? (done('image') as StageResult<ImageStageResult>) : undefined;
      const layer = results.has('layer') ? (done('layer') as StageResult<LayerStageResult>) : undefined;
      const layerFile = layer ? join(layer.dir, layer.result.file) : undefined;
      const directArgs = [
        'console=tty0',
        'console=ttyS0,115200',
        ...liveKernelArgs(
          image
            ? { device: '/dev/vda', image: '', ...(layerFile ? { layers: ['/dev/vdb'] } : {}) }
            : { root: '9p', tag: 'rootfs' },
        ),
        ...profile.boot.kernelArgs,
      ];
      direct = {
        kernel: file('kernel'),
        initrd: file('initramfs'),
        ...(image
          ? {
              rootImage:
                published.find((o) => o.kind === image.result.type)?.file ?? join(image.dir, image.result.file),
            }
          : {}),
        ...(layerFile ? { layers: [layerFile] } : {}),
        stagingRoot: join(done(finalTreeStage(profile)).dir, 'rootfs'),
        append: directArgs.join(' '),
      };
    }
    const bootFiles = (['iso', 'disk'] as const).flatMap((output) =>
      results.has(output)
        ? ((done(output) as StageResult<{ bootFiles?: BootFilesReport[] }>).result.bootFiles ?? []).map((use) => ({
            output,
            ...use,
          }))
        : [],
    );
    const report: BuildReport = {
      profile: profile.name,
      sourceDateEpoch: epoch,
      ...(options.only && profile.source.type !== 'busybox' ? { only: options.only } : {}),
      outputs: published,
      stages: stages.map((s) => ({
        name: s.name,
        key: s.key,
        cached: s.cached,
        startMs: Math.max(0, Math.round((endedAt.get(s.name) ?? 0) - s.ms)),
        ms: Math.round(s.ms),
      })),
      packages,
      ...(direct ? { direct } : {}),
      ...(bootFiles.length > 0 ? { bootFiles } : {}),
      totalMs: Math.round(performance.now() - started),
    };
    await writeFile(await outputs.claim('build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    // NAME.report.html: the same numbers drawn, with the inventory the inventory stage kept.
    const inventory = results.has('inventory')
      ? (JSON.parse(await readFile(join(done('inventory').dir, INVENTORY_FILES.inventory), 'utf8')) as ReportInventory)
      : undefined;
    await publishReport(outputs, report, { inventory });
    return report;
  } catch (error) {
    if (error instanceof DistroforgeError && error.hint === undefined) {
      (error as { hint: string | undefined }).hint = `build log: ${logFile}`;
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await ctx.rootKernel?.discard();
    // What was verified stays the floor, whether or not a later stage failed.
    await metadata.floor.save();
    await ctx.cache.settle();
    await lock.release();
    if (previousEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = previousEpoch;
  }
}

/**
 * Publishes a stage output as out/NAME: a hard link to the (immutable) cached file, made read-only,
 * so publishing costs nothing however large the image; a copy only when out/ is on another
 * filesystem. The SHA-256 is computed once per cached file and kept beside it. A `.sha256` file
 * goes beside the published output.
 */
async function publish(
  outputs: OutputDirectory,
  from: string,
  name: string,
  kind: BuiltOutput['kind'],
): Promise<BuiltOutput> {
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
