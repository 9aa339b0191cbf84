import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultCacheDir } from '../package-cache.js';
import { resolveOptionsSchema, type NormalisedResolveOptions } from '../options.js';
import { aptSourceOf, planRootfs, type ResolvedPlan } from './plan-rootfs.js';
import type { PlanReply } from './plan-messages.js';
import { reviveError } from './worker-error.js';

/** What installing needs of a plan; the package universe stays behind in the worker. */
export type InstallPlan = Pick<ResolvedPlan, 'result' | 'order' | 'essentialSet' | 'source' | 'cacheDir'>;

/**
 * A young generation this small costs the index scan a few more scavenges (its garbage is short-lived
 * strings) and keeps the thread's heap near its live size.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * This process's Node flags without its export conditions: the worker is compiled code and must load
 * its dependencies' compiled exports even when this process was started with a condition that maps
 * them to TypeScript sources (the monorepo's tests do).
 */
function withoutConditions(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=')) kept.push(arg);
  }
  return kept;
}

/**
 * planRootfs in a worker thread. Reading the repository index allocates far more than the plan it
 * yields (tens of thousands of candidates, most of the peak memory); in the caller's thread V8 keeps
 * that heap long after it became garbage, through the unpack and the maintainer scripts. A worker's
 * heap goes away with the worker. Progress events arrive as they happen; an abort stops the worker.
 *
 * From the TypeScript sources (this package's own unit tests) there is no compiled worker entry to
 * start: the plan is then made in this thread, with the same result.
 */
export async function planRootfsInWorker(options: NormalisedResolveOptions): Promise<InstallPlan> {
  const entry = new URL('./plan-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(entry))) return planRootfs(options);
  const { onProgress, signal } = options;
  // The resolution's own options, as data: a bootstrap passes its own options (a superset, with
  // callbacks a worker message cannot carry).
  const plain = Object.fromEntries(
    Object.keys(resolveOptionsSchema.shape)
      .filter((key) => key !== 'onProgress' && key !== 'signal')
      .map((key) => [key, options[key as keyof NormalisedResolveOptions]]),
  );
  signal?.throwIfAborted();
  const worker = new Worker(entry, {
    workerData: { options: plain },
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    execArgv: withoutConditions(process.execArgv),
    // The worker's stdout/stderr go to ours as they are (nothing there writes to them on purpose).
    stdout: false,
    stderr: false,
  });
  try {
    const plan = await new Promise<{
      result: InstallPlan['result'];
      order: InstallPlan['order'];
      essentialSet: string[];
    }>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      worker.on('message', (message: PlanReply) => {
        if (message.type === 'progress') onProgress?.(message.event);
        else if (message.type === 'done') {
          settle();
          resolve(message.plan);
        } else {
          settle();
          reject(reviveError(message.error));
        }
      });
      worker.on('error', (error) => {
        settle();
        reject(error);
      });
      worker.on('exit', (code) => {
        settle();
        reject(new Error(`the resolver's worker thread exited (code ${code}) before it answered`));
      });
    });
    return {
      result: plan.result,
      order: plan.order,
      essentialSet: new Set(plan.essentialSet),
      source: aptSourceOf(options),
      cacheDir: options.cacheDir ?? defaultCacheDir(),
    };
  } finally {
    // Done, failed or aborted: the thread and its heap go (keep-alive sockets would hold it open).
    await worker.terminate();
  }
}
