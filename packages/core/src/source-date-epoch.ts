import { coreError } from './errors.js';

/**
 * The build timestamp in whole seconds: `SOURCE_DATE_EPOCH` when set (validated), else the given
 * fallback. Never the wall clock unless the caller passes it explicitly.
 */
export function sourceDateEpoch(fallback?: number, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw coreError(
      'ERR_SOURCE_DATE_EPOCH',
      `SOURCE_DATE_EPOCH is not a non-negative integer: ${JSON.stringify(raw)}`,
      {
        value: raw,
      },
    );
  }
  return Number.parseInt(raw.trim(), 10);
}
