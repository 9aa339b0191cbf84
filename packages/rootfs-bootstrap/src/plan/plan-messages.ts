import type { PackageCandidate } from '../package-candidate.js';
import type { BootstrapProgress } from '../options.js';
import type { ResolveResult } from '../resolve-result.js';
import type { SerializedError } from './worker-error.js';

/** What the plan worker sends back: plain data only (it crosses a structured clone). */
export type PlanReply =
  | { type: 'progress'; event: BootstrapProgress }
  | { type: 'done'; plan: { result: ResolveResult; order: PackageCandidate[]; essentialSet: string[] } }
  | { type: 'error'; error: SerializedError };
