import { join } from 'node:path';
import { readManifest, writeManifest } from '@distroforge/core';
import { applyProfile, checkProfile, type ApplyProfileOptions } from '@distroforge/overlay-apply';
import type { StageResult } from '../engine/stage-cache.js';
import { hashTree } from '../engine/hash-tree.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { applyManifestToTree } from './apply-manifest-to-tree.js';
import { applyExtraTrees, extraTreesKey } from './extra-trees.js';
import { linkTree } from './link-tree.js';

export interface OverlayStageResult {
  changes: number;
}

/** The profile's settings as overlay-apply takes them (everything except root, manifest, overlay). */
export function overlaySettings(profile: Profile): Omit<ApplyProfileOptions, 'root' | 'manifest' | 'overlay'> {
  return {
    permissions: profile.permissions,
    users: profile.users.map(({ password, passwordHash, comment, homeMode, ...u }) => ({
      ...u,
      // overlay-apply takes the mode as written (an octal string), as the profile did.
      homeMode: homeMode.toString(8).padStart(4, '0'),
      ...(comment === undefined ? {} : { gecos: comment }),
      ...(password === undefined ? {} : { password: { plain: password } }),
      ...(passwordHash === undefined ? {} : { password: { hash: passwordHash } }),
    })),
    groups: profile.groups,
    services: profile.services,
    ...(profile.hostname ? { hostname: profile.hostname } : {}),
    ...(profile.timezone ? { timezone: profile.timezone } : {}),
    ...(profile.locale ? { locale: profile.locale } : {}),
    ...(Object.keys(profile.sysctl).length ? { sysctl: profile.sysctl } : {}),
    ...(profile.modules.load.length ? { modules: profile.modules.load } : {}),
    ...(Object.keys(profile.modules.options).length ? { moduleOptions: profile.modules.options } : {}),
    ...(profile.autologin
      ? { autologin: { user: profile.autologin.user, consoles: profile.autologin.consoles, enable: true } }
      : {}),
  };
}

/**
 * Stage 2: the overlay, users, units and settings, then `extraTrees`, applied to a hard-link farm of
 * the bootstrapped root (or of the prepare scripts' tree, when the profile has some).
 */
export async function overlayStage(
  ctx: BuildContext,
  rootfs: StageResult<unknown>,
): Promise<StageResult<OverlayStageResult>> {
  const { profile, overlayDir } = ctx.loaded;
  const settings = overlaySettings(profile);
  return ctx.cache.run({
    name: 'overlay',
    inputs: {
      settings,
      overlay: overlayDir ? await hashTree(overlayDir) : null,
      epoch: ctx.epoch,
      ownershipOnDisk: isRoot(),
      // Only when there are some: the keys of profiles without extra trees stay as they were.
      ...(profile.extraTrees.length ? { extraTrees: await extraTreesKey(ctx.loaded.dir, profile.extraTrees) } : {}),
    },
    upstream: [rootfs.key],
    describe: (r) => `${r.changes} changes`,
    run: async (dir) => {
      const root = join(dir, 'rootfs');
      const run = { logFile: join(dir, 'overlay.log'), signal: ctx.signal };
      const manifest = await readManifest(join(rootfs.dir, 'manifest.json'));
      const options = {
        manifest,
        ...settings,
        ...(overlayDir ? { overlay: overlayDir } : {}),
        sourceDateEpoch: ctx.epoch,
      };
      // An unknown unit, timezone or user is known from the installed packages alone: say so before
      // the root's link farm is made (and while the other branches of the build have barely begun).
      await checkProfile({ root: join(rootfs.dir, 'rootfs'), ...options });
      await linkTree(join(rootfs.dir, 'rootfs'), root, run);
      const result = await applyProfile({ root, ...options });
      const trees = await applyExtraTrees(root, result.manifest, profile.extraTrees, {
        profileDir: ctx.loaded.dir,
        work: join(dir, '.extra-trees'),
        sourceDateEpoch: ctx.epoch,
        run,
      });
      await writeManifest(join(dir, 'manifest.json'), trees.manifest);
      if (isRoot()) await applyManifestToTree(root, trees.manifest, run);
      return { changes: result.changes.length + trees.changes };
    },
  });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
