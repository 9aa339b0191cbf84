import { writeAtomically } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRelease } from './apt/repository-index.js';
import { repositoriesForSuite } from './apt/sources-list.js';
import { releaseChecksOf, type NormalisedResolveOptions } from './options.js';
import { sha256File } from '@distroforge/core';
import type { ResolveResult } from './resolve-result.js';
import { plainCandidate, type PackageCandidate } from './package-candidate.js';
import { aptSourceOf } from './plan/plan-rootfs.js';
import type { InstallPlan } from './plan/plan-in-worker.js';

/** Bumped when resolution can give other answers for the same inputs, so older memos are ignored. */
const MEMO_FORMAT = 4; // 2: results carry `releases`; 3: merged /usr by symlinks (`mergedUsr`); 4: the install plan

/** What a memo holds: the resolution and what installing it needs (plain data). */
interface RememberedPlan {
  result: ResolveResult;
  order: PackageCandidate[];
  essentialSet: string[];
}

/**
 * A resolution is a pure function of the request, the local package files and the signed
 * `InRelease` files (which pin every `Packages` index by SHA-256). So once those are fetched and
 * verified, an earlier answer to the same question is the answer: kept in `cacheDir/resolutions/`
 * with its install order and essential set, it saves reading and resolving ~65,000 index entries
 * (a third of a second, and the index's memory) on every resolution and build whose mirror has
 * not changed. A changed mirror, request or local file makes a new key.
 */
export async function memoizedPlan(
  options: NormalisedResolveOptions,
  cacheDir: string,
  plan: () => Promise<InstallPlan>,
): Promise<InstallPlan> {
  const started = performance.now();
  const repositories = await repositoriesForSuite(
    options.suite,
    options.mirrors,
    options.components,
    options.aptConfigDir,
  );
  const releases = await Promise.all(
    repositories.map(async (r) => {
      // The same checks as a resolution: a remembered answer must not outlive a refused Release.
      const { text } = await loadRelease(r, {
        keyring: options.keyring,
        insecure: options.insecureSkipSignatureCheck,
        releaseChecks: releaseChecksOf(options),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return createHash('sha256').update(text).digest('hex');
    }),
  );
  // A local file that cannot be read is for the resolution to report (a typed error naming it).
  const local = await Promise.all(options.localPackages.map(async (file) => [file, await sha256File(file)])).catch(
    () => undefined,
  );
  if (!local) return plan();
  const question = {
    format: MEMO_FORMAT,
    suite: options.suite,
    variant: options.variant,
    architecture: options.architecture,
    include: options.include,
    exclude: options.exclude,
    recommends: options.recommends,
    repositories,
    releases,
    local,
    insecure: options.insecureSkipSignatureCheck,
  };
  const key = createHash('sha256').update(JSON.stringify(question)).digest('hex').slice(0, 32);
  const file = join(cacheDir, 'resolutions', `${key}.json`);
  const remembered = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as RememberedPlan,
    () => undefined,
  );
  if (remembered) {
    // The same progress a resolution reports, so callers that show it see no difference.
    for (const r of repositories)
      options.onProgress?.({ phase: 'index', repository: `${r.uri} ${r.suite}`, done: true });
    options.onProgress?.({ phase: 'resolve', packages: remembered.result.packages.length });
    return {
      result: {
        ...remembered.result,
        timings: { indexMs: Math.round(performance.now() - started), resolveMs: 0 },
      },
      order: remembered.order,
      essentialSet: new Set(remembered.essentialSet),
      source: aptSourceOf(options),
      cacheDir,
    };
  }
  const made = await plan();
  const kept: RememberedPlan = {
    result: made.result,
    order: made.order.map(plainCandidate),
    essentialSet: [...made.essentialSet],
  };
  await mkdir(join(cacheDir, 'resolutions'), { recursive: true });
  await writeAtomically(file, (temp) => writeFile(temp, `${JSON.stringify(kept)}\n`));
  return made;
}
