import { DistroforgeError } from '@distroforge/core';

/**
 * Runs `work` with an AbortSignal tied to Ctrl-C/SIGTERM, so stages stop their tools, remove their
 * temporary outputs and unmount what they mounted before the process exits.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new DistroforgeError('ERR_INTERRUPTED', 'interrupted', { hint: 'run the same command again: finished stages are cached' }));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
