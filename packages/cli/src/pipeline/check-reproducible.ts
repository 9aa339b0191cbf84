import { mkdtemp, rm } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { buildProfile, type BuildOptions, type BuildReport } from './build-profile.js';

export interface ReproducibilityCheck {
  first: BuildReport;
  second: BuildReport;
  /** Outputs whose digests differ (empty: the build is reproducible). */
  differing: string[];
}

/**
 * `build --check`: builds the profile as usual, then again from scratch in a separate state and
 * output directory (no shared stage cache), and compares every output's SHA-256. When they differ,
 * the second build's outputs are kept (named in the error) so the two can be compared.
 */
export async function checkReproducible(options: BuildOptions): Promise<ReproducibilityCheck> {
  const first = await buildProfile(options);
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-check-'));
  const secondOut = join(scratch, 'out');
  let keepOutputs = false;
  try {
    const second = await buildProfile({ ...options, state: join(scratch, 'state'), out: secondOut });
    const digests = new Map(second.outputs.map((o) => [basename(o.file), o.sha256]));
    const differing = first.outputs.filter((o) => digests.get(basename(o.file)) !== o.sha256);
    if (differing.length) {
      // The second build's outputs stay for the comparison the hint asks for; its state goes.
      keepOutputs = true;
      await rm(join(scratch, 'state'), { recursive: true, force: true });
      const names = differing.map((o) => basename(o.file));
      const pairs = differing.map((o) => `diffoscope ${o.file} ${join(secondOut, basename(o.file))}`);
      throw new CliError(
        'ERR_BUILD_NOT_REPRODUCIBLE',
        `two builds of ${first.profile} differ: ${names.join(', ')}; the second build's outputs are kept in ${secondOut}`,
        {
          path: secondOut,
          value: names,
          hint: `compare them: ${pairs.join('; ')}. Set SOURCE_DATE_EPOCH if it is not set`,
        },
      );
    }
    return { first, second, differing: [] };
  } finally {
    if (!keepOutputs) await rm(scratch, { recursive: true, force: true });
  }
}
