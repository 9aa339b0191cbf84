// A file:// mirror built from the real bookworm metadata (signed InRelease + Packages.xz) and real
// packages, then tampered with in three ways. Each tampering must be refused with a typed error,
// and no target tree may appear.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesForSuite } from '../src/apt/sources-list.js';
import { parseRelease, verifyInRelease } from '../src/apt/release-file.js';
import { bootstrapRootfs, defaultCacheDir, fetchPackages, resolveRootfs } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-tamper-'));
const pristine = join(work, 'pristine');
const include = ['base-passwd'];
let packagesXz: string;
const pool = new Map<string, { path: string; sha256: string }>(); // name -> pool path, digest

beforeAll(async () => {
  // The real metadata and packages, through the shared cache (downloads only what is missing).
  const [primary] = await repositoriesForSuite('bookworm', undefined, ['main']);
  const base = `${primary!.uri}/dists/bookworm`;
  const inRelease = Buffer.from(await (await fetch(`${base}/InRelease`)).arrayBuffer());
  const release = parseRelease(
    await verifyInRelease(inRelease, '/usr/share/keyrings/debian-archive-keyring.gpg', 'InRelease'),
    'InRelease',
  );
  const { sha256 } = release.sha256.get('main/binary-amd64/Packages.xz')!;
  const resolved = await resolveRootfs({ suite: 'bookworm', variant: 'extract', include, mirrors: [primary!.uri] });
  const cachedIndex = join(defaultCacheDir(), 'indexes', `${sha256}.xz`);
  expect(existsSync(cachedIndex)).toBe(true);
  mkdirSync(join(pristine, 'dists/bookworm/main/binary-amd64'), { recursive: true });
  writeFileSync(join(pristine, 'dists/bookworm/InRelease'), inRelease);
  packagesXz = join(pristine, 'dists/bookworm/main/binary-amd64/Packages.xz');
  copyFileSync(cachedIndex, packagesXz);
  const packagesText = execFileSync('xz', ['-dc', packagesXz], { maxBuffer: 1 << 28 }).toString('utf8');
  const poolPath = (name: string) =>
    new RegExp(`^Package: ${name.replace(/[+.]/g, '\\$&')}\\n(?:.+\\n)*?Filename: (\\S+)`, 'm').exec(packagesText)?.[1];
  // Fill the pool with the real .debs the request needs, through the shared cache.
  const candidates = resolved.packages.map((p) => ({
    ...p,
    location: '',
    depends: [],
    preDepends: [],
    provides: [],
    multiArch: 'no',
  }));
  for (const p of resolved.packages) {
    const path = poolPath(p.name);
    candidates.find((c) => c.name === p.name)!.location = `${primary!.uri}/${path}`;
  }
  await fetchPackages(candidates, { cacheDir: defaultCacheDir(), concurrency: 4 });
  for (const p of resolved.packages) {
    const path = poolPath(p.name);
    expect(path, p.name).toBeDefined();
    mkdirSync(join(pristine, dirname(path!)), { recursive: true });
    copyFileSync(join(defaultCacheDir(), 'debs', `${p.sha256}.deb`), join(pristine, path!));
    pool.set(p.name, { path: path!, sha256: p.sha256 });
  }
}, 10 * 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the pristine mirror, changed by `tamper`, and a fresh cache. */
function mirror(name: string, tamper: (root: string) => void) {
  const root = join(work, name);
  cpSync(pristine, root, { recursive: true });
  tamper(root);
  return {
    mirrors: [pathToFileURL(root).href],
    cacheDir: join(work, `${name}-cache`),
    target: join(work, `${name}-rootfs`),
  };
}

const request = { suite: 'bookworm', variant: 'extract' as const, include, configure: 'never' as const };

describe('a file:// mirror', () => {
  it('installs when nothing was tampered with (control)', async () => {
    const m = mirror('intact', () => undefined);
    const result = await bootstrapRootfs({ ...request, ...m });
    expect(result.packages.map((p) => p.name)).toContain('base-passwd');
    expect(existsSync(join(m.target, 'usr/share/base-passwd/passwd.master'))).toBe(true);
  });

  it('refuses a modified Packages file (ERR_BOOTSTRAP_DIGEST) and installs nothing', async () => {
    const m = mirror('packages', (root) => {
      const file = join(root, 'dists/bookworm/main/binary-amd64/Packages.xz');
      const text = execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 28 }).toString('utf8');
      const changed = text.replace(/^(Package: base-passwd\n(?:.+\n)*?SHA256: )[0-9a-f]{64}/m, `$1${'0'.repeat(64)}`);
      expect(changed).not.toBe(text);
      writeFileSync(file, execFileSync('xz', ['-0', '-T1', '-c'], { input: changed, maxBuffer: 1 << 28 }));
    });
    await expect(bootstrapRootfs({ ...request, ...m })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DIGEST',
      name: 'DigestMismatchError',
    });
    expect(existsSync(m.target)).toBe(false);
  });

  it('refuses an InRelease whose signature does not verify (ERR_BOOTSTRAP_SIGNATURE)', async () => {
    const m = mirror('signature', (root) => {
      const file = join(root, 'dists/bookworm/InRelease');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(/^Suite: (\S+)/m, 'Suite: $1x'));
    });
    await expect(bootstrapRootfs({ ...request, ...m })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_SIGNATURE',
      name: 'SignatureError',
    });
    expect(existsSync(m.target)).toBe(false);
    // The loud opt-out accepts it (digests are still checked).
    const dry = await resolveRootfs({
      suite: 'bookworm',
      variant: 'extract',
      include,
      mirrors: m.mirrors,
      cacheDir: m.cacheDir,
      insecureSkipSignatureCheck: true,
    });
    expect(dry.packages.map((p) => p.name)).toContain('base-passwd');
  });

  it('refuses an InRelease signed by a key outside the keyring', async () => {
    const m = mirror('keyring', () => undefined);
    const emptyKeyring = join(work, 'other.gpg');
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'not Debian' }], format: 'binary' });
    writeFileSync(emptyKeyring, publicKey);
    await expect(
      resolveRootfs({
        suite: 'bookworm',
        variant: 'extract',
        include,
        mirrors: m.mirrors,
        cacheDir: m.cacheDir,
        keyring: emptyKeyring,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_SIGNATURE',
    });
  });

  it('refuses a .deb whose digest does not match (ERR_BOOTSTRAP_DIGEST) and installs nothing', async () => {
    const m = mirror('deb', (root) => {
      const victim = pool.get('base-passwd')!;
      const other = [...pool.values()].find((p) => p !== victim)!;
      copyFileSync(join(root, other.path), join(root, victim.path));
    });
    await expect(bootstrapRootfs({ ...request, ...m })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DIGEST',
      path: expect.stringContaining('base-passwd'),
    });
    expect(existsSync(m.target)).toBe(false);
    expect(existsSync(join(m.cacheDir, 'debs', `${pool.get('base-passwd')!.sha256}.deb`))).toBe(false);
  });
});
