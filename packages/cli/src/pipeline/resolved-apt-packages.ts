import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import type { BuildContext } from './build-context.js';

/** `[name, version, sha256]` of every package a root gets, in resolution order. */
export type ResolvedPackageKey = [name: string, version: string, sha256: string];

/**
 * The exact package set a stage installs from an apt source, for its key: when the mirror publishes
 * a new version (a security update), the stage runs again instead of a stale result being reused.
 * `resolve` reads the verified, cached index (the mirror is asked only for its InRelease). Offline,
 * the last resolution of the same request is reused with a warning, so cached builds still work.
 * `request` is everything else the stage key holds.
 */
export async function resolvedAptPackages(
  ctx: BuildContext,
  stage: string,
  request: unknown,
  resolve: () => Promise<Array<{ name: string; version: string; sha256: string }>>,
): Promise<ResolvedPackageKey[]> {
  const digest = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 32);
  const remembered = join(ctx.paths.stateDir, 'stages', stage, `.resolved-${digest}.json`);
  try {
    const packages = (await resolve()).map((p): ResolvedPackageKey => [p.name, p.version, p.sha256]);
    await mkdir(join(ctx.paths.stateDir, 'stages', stage), { recursive: true });
    await writeFile(remembered, `${JSON.stringify({ resolvedAt: new Date().toISOString(), packages })}\n`);
    return packages;
  } catch (error) {
    if (!(isDistroforgeError(error) && error.code === 'ERR_BOOTSTRAP_FETCH')) throw error;
    const last = await readFile(remembered, 'utf8').then(
      (t) => JSON.parse(t) as { resolvedAt: string; packages: ResolvedPackageKey[] },
      () => undefined,
    );
    if (!last) throw error;
    ctx.reporter.say(
      `warning: ${error.message}; reusing the package set resolved at ${last.resolvedAt} (run online again to pick up updates)`,
    );
    return last.packages;
  }
}
