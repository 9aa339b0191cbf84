// A build that fails in one branch: the error is that branch's own (not an interrupted sibling's),
// the branches running beside it are stopped, and nothing is published.
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import { buildProfile } from '../src/pipeline/build-profile.js';
import { Reporter } from '../src/output/reporter.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
let profile = '';

beforeAll(async () => {
  const rpms = (await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-build-failure-'));
  profile = join(work, 'p');
  await cp(join(import.meta.dirname, 'fixtures', 'rpm-live-disk'), profile, { recursive: true });
  const file = join(profile, 'profile.yaml');
  const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  Object.assign(doc, {
    source: { type: 'rpm-dir', location: rpms },
    outputs: ['iso', 'disk'],
    services: { enable: ['no-such-daemon.service'] },
  });
  await writeFile(file, stringify(doc));
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a build with an unknown unit to enable', () => {
  it("fails with the overlay stage's own error, starts neither the ISO nor the disk stage, and publishes nothing", async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const reporter = new Reporter({ json: true, out });
    const failure = await buildProfile({ profile, reporter }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await reporter.close();
    const events = lines.map((line) => JSON.parse(line) as { type: string; stage?: string });
    expect(failure).toMatchObject({ code: 'ERR_UNIT_UNKNOWN', value: 'no-such-daemon.service' });
    // Neither the ISO nor the disk stage ran: they wait for the overlay's branch.
    expect(events.filter((e) => e.type === 'stage-start').map((e) => e.stage)).not.toContain('iso');
    expect(await readdir(join(profile, 'out')).catch(() => [])).toEqual([]);
  });
});
