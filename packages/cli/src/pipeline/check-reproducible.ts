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
 * output directory (no shared stage cache), and compares every output's SHA-256.
 */
export async function checkReproducible(options: BuildOptions): Promise<ReproducibilityCheck> {
  const first = await buildProfile(options);
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-check-'));
  try {
    const second = await buildProfile({ ...options, state: join(scratch, 'state'), out: join(scratch, 'out') });
    const digests = new Map(second.outputs.map((o) => [basename(o.file), o.sha256]));
    const differing = first.outputs
      .filter((o) => digests.get(basename(o.file)) !== o.sha256)
      .map((o) => basename(o.file));
    if (differing.length) {
      throw new CliError(
        'ERR_BUILD_NOT_REPRODUCIBLE',
        `two builds of ${first.profile} differ: ${differing.join(', ')}`,
        {
          value: differing,
          hint: 'compare the two trees with diffoscope; set SOURCE_DATE_EPOCH if it is not set',
        },
      );
    }
    return { first, second, differing };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
