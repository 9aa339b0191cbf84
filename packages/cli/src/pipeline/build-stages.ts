import { join } from 'node:path';
import type { GraphResults } from '../engine/stage-graph.js';
import type { StageResult } from '../engine/stage-cache.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { PUBLISHED_KINDS, type PublishedKind } from './output-kinds.js';
import { busyboxInitramfsStage, type BusyboxInitramfsStageResult } from './stage-busybox-initramfs.js';
import { diskStage } from './stage-disk.js';
import { imageStage, type ImageStageResult } from './stage-image.js';
import { isoStage } from './stage-iso.js';
import { kernelStage, type KernelStageResult } from './stage-kernel.js';
import { INVENTORY_FILES, inventoryStage } from './stage-inventory.js';
import { layerStage } from './stage-layer.js';
import { liveInitramfsStage, type LiveInitramfsStageResult } from './stage-live-initramfs.js';
import { finishedRootKernel, handsKernelEarly } from './root-kernel.js';
import { profileLocalPackages } from './rootfs-common.js';
import { overlayStage, type OverlayStageResult } from './stage-overlay.js';
import { rootfsStage, type RootfsStageResult } from './stage-rootfs.js';
import { rootfsTarStage } from './stage-rootfs-tar.js';
import { scriptStage } from './stage-scripts.js';
import { phaseScripts, type ScriptPhase } from '../profile/customization-schema.js';

/** A file a stage puts in the output directory: its kind, where the stage made it, its name there. */
export interface Publication {
  kind: PublishedKind;
  from: string;
  name: string;
}

/**
 * One row of the build: when it applies to a profile, which stages it needs, what it runs and what
 * it publishes. The scheduler (engine/stage-graph) runs the rows that apply, side by side where
 * their needs allow; a new output is one row here and one `stage-*.ts`.
 */
export interface BuildStage {
  name: string;
  applies(profile: Profile): boolean;
  needs(profile: Profile): string[];
  run(ctx: BuildContext, done: GraphResults): Promise<StageResult<unknown>>;
  /** Files for the output directory (the report lists them in PUBLISHED_KINDS order). */
  publishes?(result: StageResult<never>, profile: Profile): Publication[];
}

const isBusybox = (profile: Profile) => profile.source.type === 'busybox';
const hasOutput = (profile: Profile, output: Profile['outputs'][number]) =>
  !isBusybox(profile) && profile.outputs.includes(output);

/**
 * A live root in two images: one of the bootstrapped root (rebuilt only when the packages change)
 * and a small layer of what the overlay changed, stacked by the live init. A single image of the
 * whole root instead where one is wanted as such (a squashfs output, a disk whose root is the
 * image) or the image is EROFS.
 */
export function isLayered(profile: Profile): boolean {
  return (
    profile.image.type === 'squashfs' &&
    !profile.outputs.includes('squashfs') &&
    !(profile.outputs.includes('disk') && profile.disk.root === 'image')
  );
}

const hasScripts = (profile: Profile, phase: ScriptPhase) =>
  !isBusybox(profile) && phaseScripts(profile.scripts, phase).length > 0;

/** The stage whose tree the overlay is applied to: the prepare scripts' when there are some. */
const overlayBase = (profile: Profile) => (hasScripts(profile, 'prepare') ? 'prepare' : 'rootfs');

/**
 * The stage holding the finished root (`rootfs/` and `manifest.json`): the last script phase the
 * profile has, else the overlay. Each phase is a stage of its own, so changing one script re-runs
 * from its phase: the stages before it stay cached.
 */
export function finalTreeStage(profile: Profile): 'overlay' | 'postinstall' | 'finalize' {
  return hasScripts(profile, 'finalize') ? 'finalize' : hasScripts(profile, 'postinstall') ? 'postinstall' : 'overlay';
}

/** Every stage a build can run, in the order of the build report. */
export const buildStages: readonly BuildStage[] = [
  // busybox: the initramfs is the whole system, around the kernel of a Debian package.
  {
    name: 'kernel',
    applies: isBusybox,
    needs: () => [],
    run: (ctx) => kernelStage(ctx),
    publishes: (r: StageResult<KernelStageResult>, profile) => [
      { kind: 'kernel', from: join(r.dir, r.result.vmlinuz), name: `${profile.name}.vmlinuz` },
    ],
  },
  {
    name: 'initramfs',
    applies: isBusybox,
    needs: () => ['kernel'],
    run: (ctx, done) => busyboxInitramfsStage(ctx, done.get('kernel')),
    publishes: (r: StageResult<BusyboxInitramfsStageResult>, profile) => [
      { kind: 'initramfs', from: join(r.dir, r.result.initrd), name: `${profile.name}.initramfs.img` },
    ],
  },
  // Package sources: the root, the profile applied to it, images, boot media.
  {
    name: 'rootfs',
    applies: (profile) => !isBusybox(profile),
    needs: () => [],
    run: (ctx) => rootfsStage(ctx),
  },
  {
    name: 'prepare',
    applies: (profile) => hasScripts(profile, 'prepare'),
    needs: () => ['rootfs'],
    run: (ctx, done) => scriptStage(ctx, 'prepare', done.get('rootfs')),
  },
  {
    name: 'overlay',
    applies: (profile) => !isBusybox(profile),
    needs: (profile) => [overlayBase(profile)],
    run: (ctx, done) => overlayStage(ctx, done.get(overlayBase(ctx.loaded.profile))),
  },
  {
    name: 'postinstall',
    applies: (profile) => hasScripts(profile, 'postinstall'),
    needs: () => ['overlay'],
    run: (ctx, done) => scriptStage(ctx, 'postinstall', done.get('overlay')),
  },
  {
    name: 'finalize',
    applies: (profile) => hasScripts(profile, 'finalize'),
    needs: (profile) => [hasScripts(profile, 'postinstall') ? 'postinstall' : 'overlay'],
    run: (ctx, done) =>
      scriptStage(ctx, 'finalize', done.get(hasScripts(ctx.loaded.profile, 'postinstall') ? 'postinstall' : 'overlay')),
  },
  {
    name: 'image',
    applies: (profile) => !isBusybox(profile),
    needs: (profile) => [isLayered(profile) ? 'rootfs' : finalTreeStage(profile)],
    run: (ctx, done) =>
      imageStage(ctx, done.get(isLayered(ctx.loaded.profile) ? 'rootfs' : finalTreeStage(ctx.loaded.profile))),
    publishes: (r: StageResult<ImageStageResult>, profile) =>
      isLayered(profile)
        ? []
        : [{ kind: r.result.type, from: join(r.dir, r.result.file), name: `${profile.name}.${r.result.type}` }],
  },
  {
    name: 'layer',
    applies: (profile) => !isBusybox(profile) && isLayered(profile),
    needs: (profile) => ['rootfs', finalTreeStage(profile)],
    run: (ctx, done) => layerStage(ctx, done.get('rootfs'), done.get(finalTreeStage(ctx.loaded.profile))),
  },
  {
    name: 'initramfs',
    applies: (profile) => !isBusybox(profile),
    // An apt root hands its kernel over once unpacked (ctx.rootKernel), so the initramfs is made
    // while the root's last scripts run on one core; other roots' from the finished root, beside
    // the image and overlay stages. (Made from the kernel packages instead, it decoded the kernel
    // package a second time: on two cores that slowed the rootfs stage by more than the overlap
    // gained, 22.6-23.8 s against 20.8-21.3 s for a cold debian-live build, issue 27.)
    needs: (profile) => (handsKernelEarly(profile) ? [] : ['rootfs']),
    run: async (ctx, done) => {
      const source = ctx.rootKernel
        ? await ctx.rootKernel.wait(ctx.signal)
        : await finishedRootKernel(done.get('rootfs'), (await profileLocalPackages(ctx.loaded)).kernel?.name);
      try {
        return await liveInitramfsStage(ctx, source);
      } finally {
        await source.release();
      }
    },
    // The live initramfs stage also holds the root's kernel it was made for.
    publishes: (r: StageResult<LiveInitramfsStageResult>, profile) => [
      { kind: 'kernel', from: join(r.dir, r.result.kernel), name: `${profile.name}.vmlinuz` },
      { kind: 'initramfs', from: join(r.dir, r.result.initrd), name: `${profile.name}.initramfs.img` },
    ],
  },
  {
    name: 'iso',
    applies: (profile) => hasOutput(profile, 'iso'),
    // The final tree: the boot files the image carries (its own shim, GRUB, modules) are preferred.
    needs: (profile) => ['image', 'initramfs', ...(isLayered(profile) ? ['layer'] : []), finalTreeStage(profile)],
    run: (ctx, done) =>
      isoStage(
        ctx,
        done.get('image'),
        done.get('initramfs'),
        done.maybe('layer'),
        done.get(finalTreeStage(ctx.loaded.profile)),
      ),
    publishes: (r: StageResult<{ file: string }>) => [
      { kind: 'iso', from: join(r.dir, r.result.file), name: r.result.file },
    ],
  },
  {
    name: 'disk',
    applies: (profile) => hasOutput(profile, 'disk'),
    needs: (profile) => [
      ...(profile.disk.root === 'image' ? ['image', finalTreeStage(profile)] : ['rootfs', finalTreeStage(profile)]),
      'initramfs',
    ],
    run: (ctx, done) =>
      diskStage(
        ctx,
        ctx.loaded.profile.disk.root === 'image'
          ? { kind: 'image', image: done.get('image'), tree: done.get(finalTreeStage(ctx.loaded.profile)) }
          : {
              kind: 'ext4',
              overlay: done.get<StageResult<OverlayStageResult>>(finalTreeStage(ctx.loaded.profile)),
              rootfs: done.get<StageResult<RootfsStageResult>>('rootfs'),
            },
        done.get('initramfs'),
      ),
    publishes: (r: StageResult<{ file: string }>) => [
      { kind: 'disk', from: join(r.dir, r.result.file), name: r.result.file },
    ],
  },
  {
    name: 'rootfs-tar',
    applies: (profile) => hasOutput(profile, 'rootfs-tar'),
    needs: (profile) => [finalTreeStage(profile)],
    run: (ctx, done) => rootfsTarStage(ctx, done.get(finalTreeStage(ctx.loaded.profile))),
    publishes: (r: StageResult<{ file: string }>) => [
      { kind: 'rootfs-tar', from: join(r.dir, r.result.file), name: r.result.file },
    ],
  },
  {
    name: 'inventory',
    applies: (profile) => !isBusybox(profile),
    needs: (profile) => ['rootfs', finalTreeStage(profile)],
    run: (ctx, done) => inventoryStage(ctx, done.get('rootfs'), done.get(finalTreeStage(ctx.loaded.profile))),
    publishes: (r: StageResult<unknown>, profile) => [
      { kind: 'spdx', from: join(r.dir, INVENTORY_FILES.spdx), name: `${profile.name}.spdx.json` },
      { kind: 'cyclonedx', from: join(r.dir, INVENTORY_FILES.cycloneDx), name: `${profile.name}.cdx.json` },
    ],
  },
];

/**
 * A build for boots that need no medium: `share` (9p, virtiofs) boots the kernel and live
 * initramfs with the finished tree shared from the host; `direct` adds the root image (and its
 * layer). No ISO, disk, tar or inventory is made.
 */
export type BuildScope = 'share' | 'direct';

/**
 * The stages a build runs: those that apply to the profile, and with a scope only those its boot
 * needs (the stages it names and everything they need). A busybox build is its kernel and
 * initramfs whatever the scope.
 */
export function stagesFor(profile: Profile, scope?: BuildScope): BuildStage[] {
  const applicable = buildStages.filter((stage) => stage.applies(profile));
  if (scope === undefined || isBusybox(profile)) return applicable;
  const targets = [
    'initramfs',
    finalTreeStage(profile),
    ...(scope === 'direct' ? ['image', ...(isLayered(profile) ? ['layer'] : [])] : []),
  ];
  const wanted = new Set<string>();
  const want = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const stage of applicable.filter((s) => s.name === name)) for (const need of stage.needs(profile)) want(need);
  };
  for (const target of targets) want(target);
  return applicable.filter((stage) => wanted.has(stage.name));
}

/** What the stages that ran publish, in the report's order (PUBLISHED_KINDS; a stage's own order within a kind). */
export function publicationsOf(
  stages: readonly BuildStage[],
  results: ReadonlyMap<string, unknown>,
  profile: Profile,
): Publication[] {
  return stages
    .flatMap((stage) => stage.publishes?.(results.get(stage.name) as StageResult<never>, profile) ?? [])
    .sort((a, b) => PUBLISHED_KINDS.indexOf(a.kind) - PUBLISHED_KINDS.indexOf(b.kind));
}
