// The entry of the worker thread that reads the repository index and resolves (see plan-in-worker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { NormalisedResolveOptions } from '../options.js';
import { planRootfs } from './plan-rootfs.js';
import { plainCandidate } from '../package-candidate.js';
import type { PlanReply } from './plan-messages.js';
import { serializeError } from './worker-error.js';

// An abort terminates this thread from outside: nothing here needs to listen for it.
const port = parentPort!;
const reply = (message: PlanReply) => port.postMessage(message);
const options = (workerData as { options: NormalisedResolveOptions }).options;

try {
  const plan = await planRootfs({
    ...options,
    onProgress: (event) => reply({ type: 'progress', event }),
  });
  reply({
    type: 'done',
    plan: { result: plan.result, order: plan.order.map(plainCandidate), essentialSet: [...plan.essentialSet] },
  });
} catch (error) {
  reply({ type: 'error', error: serializeError(error) });
}
