// Package metadata never goes backwards silently: the newest Release dates and repomd revisions a
// profile's builds verified are kept in the build state (and the lock file keeps its own), and an
// older copy is refused unless --allow-rollback. The RPM case runs real builds against the
// generated repository, its repomd.xml revision standing in for a mirror's.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import { buildProfile } from '../src/pipeline/build-profile.js';
import { lockDifferences, readLock, writeLock, type LockFile } from '../src/pipeline/lock-file.js';
import {
  aptMetadataOptions,
  MetadataFloor,
  metadataFloorFile,
  rpmMetadataOptions,
} from '../src/pipeline/metadata-floor.js';
import { Reporter } from '../src/output/reporter.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-floor-'));
});

describe('MetadataFloor', () => {
  it("only rises, is kept across loads, and combines with the lock file's dates", async () => {
    const file = join(work, 'state', 'cache', 'metadata-floor.json');
    const floor = await MetadataFloor.load(file);
    floor.recordReleases([{ suite: 'bookworm', date: '2026-11-01T10:00:00Z' }, { suite: 'bookworm-security' }]);
    floor.recordReleases([{ suite: 'bookworm', date: '2026-10-01T10:00:00Z' }]);
    floor.recordRevisions([
      { location: 'https://mirror/repo', revision: 20 },
      { location: 'https://mirror/repo', revision: 10 },
    ]);
    await floor.save();
    const again = await MetadataFloor.load(file);
    expect(again.releaseDates()).toEqual({ bookworm: '2026-11-01T10:00:00Z' });
    expect(
      again.releaseDates([
        { suite: 'bookworm', date: '2026-12-01T00:00:00Z' },
        { suite: 'trixie', date: '2026-01-01T00:00:00Z' },
      ]),
    ).toEqual({ bookworm: '2026-12-01T00:00:00Z', trixie: '2026-01-01T00:00:00Z' });
    expect(rpmMetadataOptions({ floor: again, lockReleases: [], allowRollback: false }, 'https://mirror/repo')).toEqual(
      { minRepomdRevision: 20, allowRepomdRollback: false },
    );
    expect(aptMetadataOptions({ floor: again, lockReleases: [], allowRollback: true })).toEqual({
      minReleaseDates: { bookworm: '2026-11-01T10:00:00Z' },
      allowReleaseRollback: true,
    });
    // A damaged file is an empty floor, not a crash.
    await writeFile(file, '{not json');
    expect((await MetadataFloor.load(file)).releaseDates()).toEqual({});
  });

  it('lock files keep their Releases (one line each) and read back; the package diff ignores them', async () => {
    const lock: LockFile = {
      format: 'distroforge-lock',
      version: 1,
      suite: 'bookworm',
      variant: 'minbase',
      architecture: 'amd64',
      releases: [{ suite: 'bookworm', date: '2026-11-01T10:00:00Z' }],
      packages: [{ name: 'a', version: '1', sha256: 'a'.repeat(64) }],
    };
    const file = await writeLock(work, lock);
    expect(await readFile(file, 'utf8')).toContain(
      '"releases": [\n    {"suite":"bookworm","date":"2026-11-01T10:00:00Z"}\n  ],\n  "packages": [\n',
    );
    expect(await readLock(work)).toEqual(lock);
    expect(lockDifferences(lock, { ...lock, releases: [] })).toEqual([]);
  });
});

describe('an RPM repository whose repomd.xml revision goes back', () => {
  it('is refused with ERR_BOOTSTRAP_METADATA_ROLLBACK once a build saw a newer one, and accepted with allowRollback', async () => {
    const repo = (await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'))).dir;
    const profile = join(work, 'p');
    await cp(join(import.meta.dirname, 'fixtures', 'rpm-live-disk'), profile, { recursive: true });
    const yaml = join(profile, 'profile.yaml');
    const doc = parse(await readFile(yaml, 'utf8')) as Record<string, unknown>;
    Object.assign(doc, {
      source: { type: 'rpm-repo', location: `file://${repo}` },
      outputs: ['squashfs'],
      image: { type: 'squashfs' },
      disk: undefined,
    });
    delete doc.disk;
    await writeFile(yaml, stringify(doc));
    const reporter = () => new Reporter({ quiet: true, out: new PassThrough() });
    await buildProfile({ profile, reporter: reporter() });
    const floorFile = metadataFloorFile(join(profile, '.distroforge'));
    const seen = JSON.parse(await readFile(floorFile, 'utf8')) as { repomdRevisions: Record<string, number> };
    const [location, revision] = Object.entries(seen.repomdRevisions)[0] ?? [];
    expect(location).toBe(`rpm-repo:file://${repo}`);
    expect(revision).toBe(
      Number(/<revision>(\d+)<\/revision>/.exec(await readFile(join(repo, 'repodata', 'repomd.xml'), 'utf8'))?.[1]),
    );
    // As if a later build had seen a newer revision: the mirror's copy is now a rollback.
    await writeFile(
      floorFile,
      JSON.stringify({ releaseDates: {}, repomdRevisions: { [location as string]: (revision as number) + 1 } }),
    );
    await expect(buildProfile({ profile, reporter: reporter() })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK',
    });
    const accepted = await buildProfile({ profile, reporter: reporter(), allowRollback: true });
    expect(accepted.outputs.map((o) => o.kind)).toContain('squashfs');
  }, 600_000);
});
