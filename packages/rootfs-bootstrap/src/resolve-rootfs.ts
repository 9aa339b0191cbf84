import { defaultCacheDir } from './package-cache.js';
import { parseOptions, resolveOptionsSchema, type ResolveOptions } from './options.js';
import type { ResolveResult } from './resolve-result.js';
import { memoizedPlan } from './resolution-memo.js';
import { planRootfsInWorker } from './plan/plan-in-worker.js';

export type { ResolveResult, ResolvedRootfsPackage } from './resolve-result.js';

/**
 * Resolves a root filesystem without installing anything: fetches and verifies the repository
 * metadata, and returns the packages (versions, sizes, digests) the variant plus `include` needs.
 * An answer to the same request against the same signed InRelease files is reused (see
 * memoizedPlan).
 */
export async function resolveRootfs(options: ResolveOptions): Promise<ResolveResult> {
  const parsed = parseOptions(resolveOptionsSchema, options);
  const plan = await memoizedPlan(parsed, parsed.cacheDir ?? defaultCacheDir(), () => planRootfsInWorker(parsed));
  return plan.result;
}
