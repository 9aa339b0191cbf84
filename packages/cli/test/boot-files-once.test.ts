// bootFilesOnce: the ISO and the disk stage of one build share one boot-file choice per tree (its
// digests are part of both stage keys), and it is the choice stageBootFiles makes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootFilesOnce, stageBootFiles } from '../src/pipeline/stage-boot-files.js';

const work = await mkdtemp(join(tmpdir(), 'df-boot-once-'));
afterAll(() => rm(work, { recursive: true, force: true }));

describe('bootFilesOnce', () => {
  it('chooses and digests once per root, the same as stageBootFiles; another root is chosen on its own', async () => {
    const flags = { bios: true, uefi: true, secureBoot: false };
    const once = bootFilesOnce(flags);
    const first = once(join(work, 'a'));
    expect(once(join(work, 'a'))).toBe(first);
    expect(once(join(work, 'b'))).not.toBe(first);
    const chosen = await first;
    expect(chosen).toEqual(await stageBootFiles(join(work, 'a'), flags));
    // A root without boot files of its own: the host's, each file with its digest.
    expect(chosen.report.map((r) => [r.firmware, r.set])).toEqual([
      ['bios', 'host'],
      ['uefi', 'host'],
    ]);
    expect(chosen.report.flatMap((r) => r.files.map((f) => f.sha256))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]),
    );
  });
});
