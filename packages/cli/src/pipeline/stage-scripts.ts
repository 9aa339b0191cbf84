import { cp, lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { CliError, ProfileScriptError } from '../errors.js';
import { basename, dirname, join, posix } from 'node:path';
import {
  prepareUserNamespace,
  readManifest,
  reclaimTree,
  runLogged,
  ToolFailedError,
  withImageRoot,
  writeManifest,
} from '@distroforge/core';
import type { StageResult } from '../engine/stage-cache.js';
import { hashFile, hashTree } from '../engine/hash-tree.js';
import { phaseScripts, type ProfileScript, type ScriptPhase } from '../profile/customization-schema.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { applyManifestToTree } from './apply-manifest-to-tree.js';
import { assignManifestOwners, finishScriptTree } from './script-tree.js';

/** Where a script finds its copy of the profile (its own file and its `inputs`), inside the image root. */
export const PROFILE_VIEW = '/run/distroforge/profile';

/** Lines of a failed script's output the error carries. */
const TAIL_LINES = 20;

export interface ScriptStageResult {
  scripts: { path: string; ms: number }[];
}

/**
 * The environment of every script (nothing of the host's): the documented DISTROFORGE_* names, the
 * build's epoch, a usual PATH. Part of the stage key, so a change of what scripts see re-runs them.
 */
export function scriptEnvironment(
  profile: Profile,
  phase: ScriptPhase,
  script: string,
  epoch: number,
): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LC_ALL: 'C.UTF-8',
    DEBIAN_FRONTEND: 'noninteractive',
    SOURCE_DATE_EPOCH: String(epoch),
    DISTROFORGE_PHASE: phase,
    DISTROFORGE_SCRIPT: script,
    DISTROFORGE_PROFILE_DIR: PROFILE_VIEW,
    DISTROFORGE_PROFILE_NAME: profile.name,
    // Images are x86-64 (BIOS/UEFI boot); named as the source's package manager names it.
    DISTROFORGE_ARCHITECTURE: profile.source.type === 'apt' ? 'amd64' : 'x86_64',
    DISTROFORGE_OUTPUTS: profile.outputs.join(' '),
    DISTROFORGE_FIRMWARE: profile.firmware.join(' '),
  };
}

/**
 * The stage of a script phase (`prepare`, `postinstall`, `finalize`): a copy of the upstream tree
 * (never a link farm: a script may write into a file in place, which would change the upstream
 * stage's tree), the manifest's owners given to it inside a user namespace, each script run in
 * the image root (core's withImageRoot: the same for root and ordinary users), then the owners
 * read back into the manifest, the tree given back to the builder and its times clamped to the
 * epoch. Keyed by each script's file and inputs (contents and modes), its network flag, the
 * environment and the upstream stage, so changing one script re-runs from its phase only.
 */
export async function scriptStage(
  ctx: BuildContext,
  phase: ScriptPhase,
  upstream: StageResult<unknown>,
): Promise<StageResult<ScriptStageResult>> {
  const { profile, dir: profileDir } = ctx.loaded;
  const scripts = phaseScripts(profile.scripts, phase);
  const keyed = [];
  for (const script of scripts) {
    const files: Record<string, string> = {};
    for (const path of [script.path, ...script.inputs]) files[path] = await digestOf(join(profileDir, path));
    keyed.push({ ...script, files, env: scriptEnvironment(profile, phase, script.path, ctx.epoch) });
  }
  return ctx.cache.run({
    name: phase,
    inputs: { scripts: keyed, epoch: ctx.epoch, ownershipOnDisk: isRoot() },
    upstream: [upstream.key],
    describe: (r) => `${r.scripts.length} script${r.scripts.length === 1 ? '' : 's'}`,
    run: async (dir) => {
      const root = join(dir, 'rootfs');
      const run = { logFile: join(dir, `${phase}.log`), signal: ctx.signal };
      await writeFile(run.logFile, '');
      // Without ownership (each file the builder's), so every run starts from the same tree; the
      // manifest's owners are given to it inside the namespace below.
      await runLogged(
        'cp',
        [
          '-a',
          '--reflink=auto',
          '--no-preserve=ownership',
          '--no-target-directory',
          join(upstream.dir, 'rootfs'),
          root,
        ],
        run,
      );
      const before = await readManifest(join(upstream.dir, 'manifest.json'));
      const namespace = await prepareUserNamespace({});
      const ran: ScriptStageResult['scripts'] = [];
      let manifest;
      try {
        await assignManifestOwners(namespace, root, before);
        for (const [index, script] of scripts.entries()) {
          const started = performance.now();
          await runScript(
            ctx,
            phase,
            script,
            root,
            namespace,
            join(ctx.paths.stateDir, 'logs', phase, `${index + 1}-${basename(script.path)}.log`),
          );
          ran.push({ path: script.path, ms: Math.round(performance.now() - started) });
        }
        manifest = await finishScriptTree(namespace, root, before, ctx.epoch);
      } catch (error) {
        // Files the scripts gave other owners belong to subordinate ids: the builder could not remove them.
        await reclaimTree(namespace, root).catch(() => undefined);
        throw error;
      }
      await writeManifest(join(dir, 'manifest.json'), manifest);
      if (isRoot()) await applyManifestToTree(root, manifest, run);
      return { scripts: ran };
    },
  });
}

/** Runs one script with its copy of the profile at PROFILE_VIEW, removed again afterwards. */
async function runScript(
  ctx: BuildContext,
  phase: ScriptPhase,
  script: ProfileScript,
  root: string,
  namespace: Awaited<ReturnType<typeof prepareUserNamespace>>,
  logFile: string,
): Promise<void> {
  const { profile, dir: profileDir } = ctx.loaded;
  await mkdir(dirname(logFile), { recursive: true });
  await writeFile(logFile, '');
  // Only the directories made here are removed: an image's own /run stays as it was.
  const created = await mkdirRecording(root, PROFILE_VIEW);
  const view = join(root, PROFILE_VIEW);
  try {
    for (const path of [script.path, ...script.inputs]) {
      await mkdir(dirname(join(view, path)), { recursive: true });
      await cp(join(profileDir, path), join(view, path), {
        recursive: true,
        preserveTimestamps: true,
        dereference: true,
      });
    }
    const env = scriptEnvironment(profile, phase, script.path, ctx.epoch);
    await withImageRoot(
      root,
      { env, logFile, network: script.network, namespace, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      (session) => session.run([posix.join(PROFILE_VIEW, script.path)]),
    );
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    const lines = (await readFile(logFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line, i) => !(i <= 1 && line.startsWith('$ [')));
    while (lines.at(-1) === '') lines.pop();
    throw new ProfileScriptError(phase, script.path, error.exitCode, lines.slice(-TAIL_LINES).join('\n'), logFile);
  } finally {
    // The script may have made files in its view owned by other ids: give them back first.
    await reclaimTree(namespace, view).catch(() => undefined);
    await rm(created ?? view, { recursive: true, force: true });
  }
}

/** `mkdir -p` of an absolute image path under `root`; returns the topmost directory it made. */
async function mkdirRecording(root: string, path: string): Promise<string | undefined> {
  let first: string | undefined;
  let current = root;
  for (const part of path.split('/').filter(Boolean)) {
    current = join(current, part);
    const st = await lstat(current).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st)
      throw new CliError(
        'ERR_PROFILE_SCRIPT_VIEW',
        `${current.slice(root.length)} is not a directory in the image, so the profile cannot be shown to scripts at ${PROFILE_VIEW}`,
        { path: current, hint: 'make it a directory (or remove it) before the scripts run' },
      );
    await mkdir(current);
    first ??= current;
  }
  return first;
}

/** Content and mode of a file, or a folder's tree digest. */
async function digestOf(path: string): Promise<string> {
  const st = await stat(path);
  if (st.isDirectory()) return `tree ${await hashTree(path)}`;
  return `${(st.mode & 0o7777).toString(8)} ${await hashFile(path)}`;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
