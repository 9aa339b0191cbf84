import { CliError } from '../errors.js';

/**
 * Runs `work` with an AbortSignal tied to Ctrl-C/SIGTERM, so stages stop their tools, remove their
 * temporary outputs and unmount what they mounted before the process exits. A second signal exits
 * at once. The listeners stay installed until `work` settles: execa's exit hook (signal-exit)
 * re-raises a signal that no other listener handles, which would kill the process mid-cleanup.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143);
    controller.abort(
      new CliError('ERR_INTERRUPTED', 'interrupted', {
        hint: 'run the same command again: finished stages are cached',
      }),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
