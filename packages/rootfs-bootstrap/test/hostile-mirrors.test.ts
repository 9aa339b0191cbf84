// Mirrors that serve genuinely signed but wrong metadata: another suite's Release, an old one, an
// expired one (apt), an older repomd.xml revision (rpm). The Release files are written here and
// signed with a key made for this run; the package is a tiny one built with dpkg-deb.
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { bootstrapRootfs, resolveRootfs, resolveRpmRootfs } from '../src/index.js';
import { testGpg, type TestGpg } from './gpg-fixtures.js';
import { buildDeb, buildRpm } from './local-package-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-hostile-'));
let gpg: TestGpg;
let key: { file: string; user: string };
let deb: string;
let mirrorCount = 0;

beforeAll(async () => {
  gpg = await testGpg(work);
  key = await gpg.createKey('archive');
  deb = buildDeb(work, {
    control: { Package: 'df-hostile', Version: '1.0', Architecture: 'all' },
    files: { 'usr/share/df-hostile/ok': 'ok\n' },
  });
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ReleaseFields {
  Suite?: string;
  Codename?: string;
  Date?: string;
  'Valid-Until'?: string;
}

const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', 'UTC');
const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000);

/** A file:// mirror whose `dists/<dist>/InRelease` states `fields`, signed by the test key, with one package. */
async function aptMirror(
  dist: string,
  fields: ReleaseFields,
): Promise<{ mirror: string; url: string; cacheDir: string }> {
  const root = join(work, `apt-${++mirrorCount}`);
  mkdirSync(join(root, 'pool'), { recursive: true });
  copyFileSync(deb, join(root, 'pool/df-hostile_1.0_all.deb'));
  const bytes = readFileSync(deb);
  const packages = [
    'Package: df-hostile',
    'Version: 1.0',
    'Architecture: all',
    'Filename: pool/df-hostile_1.0_all.deb',
    `Size: ${bytes.length}`,
    `SHA256: ${createHash('sha256').update(bytes).digest('hex')}`,
    'Description: test',
    '',
  ].join('\n');
  const index = join(root, 'dists', dist, 'main/binary-amd64');
  mkdirSync(index, { recursive: true });
  writeFileSync(join(index, 'Packages'), packages);
  const release = [
    'Origin: Debian',
    ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`),
    'Architectures: amd64',
    'Components: main',
    'SHA256:',
    ` ${createHash('sha256').update(packages).digest('hex')} ${Buffer.byteLength(packages)} main/binary-amd64/Packages`,
    '',
  ].join('\n');
  const inRelease = join(root, 'dists', dist, 'InRelease');
  writeFileSync(inRelease, await gpg.clearsign(release, key.user));
  return {
    mirror: pathToFileURL(root).href,
    url: `${pathToFileURL(root).href}/dists/${dist}/InRelease`,
    cacheDir: join(root, 'cache'),
  };
}

const request = (suite: string, m: { mirror: string; cacheDir: string }) => ({
  suite,
  variant: 'extract' as const,
  include: ['df-hostile'],
  mirrors: [m.mirror],
  keyring: key.file,
  cacheDir: m.cacheDir,
  architecture: 'amd64',
});

const bookworm = { Suite: 'stable', Codename: 'bookworm' };
const bullseye = { Suite: 'oldstable', Codename: 'bullseye' };

describe('the Release of another suite', () => {
  it("is refused when bullseye's Release is served under dists/bookworm (asked by codename)", async () => {
    const m = await aptMirror('bookworm', { ...bullseye, Date: rfc2822(new Date()) });
    const error = await resolveRootfs(request('bookworm', m)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_RELEASE_SUITE',
      name: 'ReleaseSuiteMismatchError',
      path: m.url,
      expected: 'bookworm',
      seen: { suite: 'oldstable', codename: 'bullseye' },
      hint: expect.stringContaining('another suite'),
    });
    // bootstrapRootfs stops at the same check: no tree appears.
    const target = join(work, 'root-wrong-suite');
    await expect(bootstrapRootfs({ ...request('bookworm', m), target, configure: 'never' })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_RELEASE_SUITE',
    });
    expect(existsSync(target)).toBe(false);
  });

  it('is refused when asked by suite name (stable) and the Release is oldstable', async () => {
    const m = await aptMirror('stable', { ...bullseye, Date: rfc2822(new Date()) });
    await expect(resolveRootfs(request('stable', m))).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_RELEASE_SUITE',
      expected: 'stable',
      seen: { suite: 'oldstable', codename: 'bullseye' },
    });
  });

  it('is refused when the Suite matches nothing and the Codename is another one', async () => {
    // Suite "stable" would match a request for stable, but bookworm was asked for and this is trixie.
    const m = await aptMirror('bookworm', { Suite: 'stable', Codename: 'trixie', Date: rfc2822(new Date()) });
    await expect(resolveRootfs(request('bookworm', m))).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_RELEASE_SUITE',
      expected: 'bookworm',
      seen: { suite: 'stable', codename: 'trixie' },
    });
  });

  it('is accepted by codename, and by suite name, and reports the Release it read', async () => {
    const date = new Date(Math.floor(Date.now() / 1000) * 1000);
    const byCodename = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(date) });
    const result = await resolveRootfs(request('bookworm', byCodename));
    expect(result.packages.map((p) => p.name)).toEqual(['df-hostile']);
    expect(result.releases).toEqual([
      { uri: byCodename.mirror, suite: 'bookworm', url: byCodename.url, date: date.toISOString() },
    ]);
    const bySuite = await aptMirror('stable', { ...bookworm, Date: rfc2822(date) });
    expect((await resolveRootfs(request('stable', bySuite))).packages.map((p) => p.name)).toEqual(['df-hostile']);
  });
});

describe('an old Release (Date before minReleaseDates)', () => {
  it('is refused, also when an earlier answer was remembered, unless allowReleaseRollback', async () => {
    const date = new Date('2024-06-29T09:45:12Z');
    const m = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(date) });
    // Accepted without a minimum and at exactly its own Date (the memo now holds this answer).
    await resolveRootfs(request('bookworm', m));
    await resolveRootfs({ ...request('bookworm', m), minReleaseDates: { bookworm: date.toISOString() } });
    const minimum = '2025-01-10T10:00:43Z';
    const error = await resolveRootfs({ ...request('bookworm', m), minReleaseDates: { bookworm: minimum } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK',
      name: 'MetadataRollbackError',
      path: m.url,
      expected: '2025-01-10T10:00:43.000Z',
      seen: date.toISOString(),
      hint: expect.stringContaining('allowReleaseRollback'),
    });
    // A minimum for another suite does not apply.
    await resolveRootfs({ ...request('bookworm', m), minReleaseDates: { 'bookworm-security': minimum } });
    const allowed = await resolveRootfs({
      ...request('bookworm', m),
      minReleaseDates: { bookworm: minimum },
      allowReleaseRollback: true,
    });
    expect(allowed.packages.map((p) => p.name)).toEqual(['df-hostile']);
  });

  it('over HTTP is fetched again, asking for a fresh copy, before it is refused: a mirror node that lags behind', async () => {
    const oldDate = new Date('2024-06-29T09:45:12Z');
    const newDate = new Date('2025-02-01T08:00:00Z');
    const stale = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(oldDate) });
    const current = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(newDate) });
    const staleInRelease = readFileSync(fileURLToPath(stale.url));
    // Serves `current`, except its InRelease: the stale one for the first `staleAnswers` requests.
    const serve = async (staleAnswers: number) => {
      const requests: (string | undefined)[] = [];
      const server = createServer((req, res) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
        if (path.endsWith('/InRelease')) {
          requests.push(req.headers['cache-control']);
          if (requests.length <= staleAnswers) return res.end(staleInRelease);
        }
        try {
          res.end(readFileSync(join(fileURLToPath(current.mirror), path)));
        } catch {
          res.statusCode = 404;
          res.end();
        }
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { requests, mirror, close: () => new Promise((done) => server.close(done)) };
    };
    const floor = { minReleaseDates: { bookworm: newDate.toISOString() } };
    const lagging = await serve(2);
    try {
      const result = await resolveRootfs({
        ...request('bookworm', { mirror: lagging.mirror, cacheDir: join(work, `cache-${++mirrorCount}`) }),
        ...floor,
      });
      expect(result.releases?.[0]?.date).toBe(newDate.toISOString());
      // Three fetches for the resolution memo's check (stale, stale, current), then the resolution's own.
      expect(lagging.requests).toEqual([undefined, 'no-cache', 'no-cache', undefined]);
    } finally {
      await lagging.close();
    }
    const stuck = await serve(Number.POSITIVE_INFINITY);
    try {
      const error = await resolveRootfs({
        ...request('bookworm', { mirror: stuck.mirror, cacheDir: join(work, `cache-${++mirrorCount}`) }),
        ...floor,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK', seen: oldDate.toISOString() });
      expect(stuck.requests).toHaveLength(3);
    } finally {
      await stuck.close();
    }
  });

  it('is refused when it states no Date while a minimum is set', async () => {
    const m = await aptMirror('bookworm', bookworm);
    await expect(
      resolveRootfs({ ...request('bookworm', m), minReleaseDates: { bookworm: '2025-01-10T10:00:43Z' } }),
    ).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK',
      seen: undefined,
    });
  });

  it('rejects a minimum that is not an ISO date as an option error', async () => {
    const m = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(new Date()) });
    await expect(
      resolveRootfs({ ...request('bookworm', m), minReleaseDates: { bookworm: 'last tuesday' } }),
    ).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_OPTIONS' });
  });
});

describe('an expired Release (Valid-Until passed)', () => {
  it('is refused unless allowExpiredRelease', async () => {
    const validUntil = new Date(Math.floor(daysFromNow(-1).getTime() / 1000) * 1000);
    const m = await aptMirror('bookworm', {
      ...bookworm,
      Date: rfc2822(daysFromNow(-8)),
      'Valid-Until': rfc2822(validUntil),
    });
    const error = await resolveRootfs(request('bookworm', m)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_RELEASE_EXPIRED',
      name: 'ReleaseExpiredError',
      path: m.url,
      seen: validUntil.toISOString(),
      hint: expect.stringContaining('allowExpiredRelease'),
    });
    expect(Date.parse((error as { expected: string }).expected)).toBeGreaterThan(validUntil.getTime());
    const allowed = await resolveRootfs({ ...request('bookworm', m), allowExpiredRelease: true });
    expect(allowed.releases[0]).toMatchObject({ validUntil: validUntil.toISOString() });
  });

  it('is accepted while Valid-Until lies ahead', async () => {
    const m = await aptMirror('bookworm', {
      ...bookworm,
      Date: rfc2822(new Date()),
      'Valid-Until': rfc2822(daysFromNow(7)),
    });
    expect((await resolveRootfs(request('bookworm', m))).packages.map((p) => p.name)).toEqual(['df-hostile']);
  });

  it('a Valid-Until that is not a date is a syntax error, not a Release without expiry', async () => {
    const m = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(new Date()), 'Valid-Until': 'whenever' });
    await expect(resolveRootfs(request('bookworm', m))).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX',
      value: 'whenever',
    });
  });
});

/** The bin (cli-main) in this process: its exit code, stdout and stderr. */
async function bin(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}

/** `rootfs-bootstrap --resolve-only` of the df-hostile package from mirror `m`, plus `flags`. */
const binResolve = (suite: string, m: { mirror: string; cacheDir: string }, flags: string[]) =>
  bin([
    '--suite',
    suite,
    '--variant',
    'extract',
    '--include',
    'df-hostile',
    '--mirror',
    m.mirror,
    '--keyring',
    key.file,
    '--cache',
    m.cacheDir,
    '--arch',
    'amd64',
    '--resolve-only',
    '--json',
    ...flags,
  ]);

describe('the bin passes the Release checks to the library', () => {
  it('refuses an expired Release (exit 1, ERR_BOOTSTRAP_RELEASE_EXPIRED) unless --allow-expired-release', async () => {
    const m = await aptMirror('bookworm', {
      ...bookworm,
      Date: rfc2822(daysFromNow(-8)),
      'Valid-Until': rfc2822(daysFromNow(-1)),
    });
    const refused = await binResolve('bookworm', m, []);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^ERR_BOOTSTRAP_RELEASE_EXPIRED: /);
    const allowed = await binResolve('bookworm', m, ['--allow-expired-release']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'result',
      packages: [{ name: 'df-hostile' }],
    });
  });

  it("refuses a Release older than --min-release-date (exit 1, ERR_BOOTSTRAP_METADATA_ROLLBACK) unless --allow-rollback; another suite's floor does not apply", async () => {
    const date = new Date(Math.floor(daysFromNow(-2).getTime() / 1000) * 1000);
    const m = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(date) });
    const floor = new Date(date.getTime() + 1000).toISOString();
    expect((await binResolve('bookworm', m, ['--min-release-date', `bookworm=${date.toISOString()}`])).code).toBe(0);
    const refused = await binResolve('bookworm', m, ['--min-release-date', `bookworm=${floor}`]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^ERR_BOOTSTRAP_METADATA_ROLLBACK: /);
    expect((await binResolve('bookworm', m, ['--min-release-date', `bookworm-security=${floor}`])).code).toBe(0);
    expect(
      (await binResolve('bookworm', m, ['--min-release-date', `bookworm=${floor}`, '--allow-rollback'])).code,
    ).toBe(0);
  });

  it("a --min-release-date that is not a date is the library's option error (exit 1, ERR_BOOTSTRAP_OPTIONS)", async () => {
    const m = await aptMirror('bookworm', { ...bookworm, Date: rfc2822(new Date()) });
    const refused = await binResolve('bookworm', m, ['--min-release-date', 'bookworm=last tuesday']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^ERR_BOOTSTRAP_OPTIONS: invalid option minReleaseDates\.bookworm/);
  });
});

describe('repomd.xml revision (rpm-repo)', () => {
  let rpm: string;
  beforeAll(() => {
    rpm = buildRpm(work, { name: 'df-revision', version: '1.0', files: { '/usr/share/df-revision/ok': 'ok' } });
  }, 120_000);

  async function rpmRepo(revision: string): Promise<string> {
    const dir = join(work, `rpm-${++mirrorCount}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(rpm, join(dir, 'df-revision-1.0-1.noarch.rpm'));
    await execa('createrepo_c', ['--quiet', '--revision', revision, dir]);
    return dir;
  }
  const rpmRequest = (dir: string) => ({
    source: `rpm-repo:${dir}`,
    include: ['df-revision'],
    architecture: 'x86_64',
    cacheDir: join(dir, 'cache'),
  });

  it('is reported, and refused below minRepomdRevision unless allowRepomdRollback', async () => {
    const dir = await rpmRepo('1700000000');
    const plain = await resolveRpmRootfs(rpmRequest(dir));
    expect(plain.repositories[0]).toMatchObject({ kind: 'rpm-repo', revision: '1700000000' });
    await resolveRpmRootfs({ ...rpmRequest(dir), minRepomdRevision: 1700000000 });
    const error = await resolveRpmRootfs({ ...rpmRequest(dir), minRepomdRevision: 1700000001 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK',
      path: expect.stringMatching(/repodata\/repomd\.xml$/),
      expected: '1700000001',
      seen: '1700000000',
      hint: expect.stringContaining('allowRepomdRollback'),
    });
    const allowed = await resolveRpmRootfs({
      ...rpmRequest(dir),
      minRepomdRevision: 1700000001,
      allowRepomdRollback: true,
    });
    expect(allowed.packages.map((p) => p.name)).toEqual(['df-revision']);
  });

  it('the bin refuses a revision below --min-repomd-revision (exit 1) unless --allow-rollback', async () => {
    const dir = await rpmRepo('1700000000');
    const resolveWith = (flags: string[]) =>
      bin([
        '--source',
        `rpm-repo:${dir}`,
        '--include',
        'df-revision',
        '--arch',
        'x86_64',
        '--cache',
        join(dir, 'cache'),
        '--resolve-only',
        '--json',
        ...flags,
      ]);
    expect((await resolveWith(['--min-repomd-revision', '1700000000'])).code).toBe(0);
    const refused = await resolveWith(['--min-repomd-revision', '1700000001']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^ERR_BOOTSTRAP_METADATA_ROLLBACK: /);
    const allowed = await resolveWith(['--min-repomd-revision', '1700000001', '--allow-rollback']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'result',
      packages: [{ name: 'df-revision' }],
    });
  });

  it('refuses a revision that is not an integer while a minimum is set', async () => {
    const dir = await rpmRepo('snapshot-a');
    expect(statSync(join(dir, 'repodata/repomd.xml')).size).toBeGreaterThan(0);
    await resolveRpmRootfs(rpmRequest(dir));
    await expect(resolveRpmRootfs({ ...rpmRequest(dir), minRepomdRevision: 1 })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_METADATA_ROLLBACK',
      seen: 'snapshot-a',
    });
  });
});
