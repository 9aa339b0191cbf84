import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { UnsatisfiableError } from '@distroforge/rootfs-bootstrap';
import {
  assertLocked,
  LOCK_FILE,
  loadProfile,
  locatingUnsatisfiable,
  lockDifferences,
  readLock,
  resolveLock,
  writeLock,
  type LockFile,
} from '@distroforge/cli';
import { copyExampleProfile } from './example-profile.js';

const sha = (c: string) => c.repeat(64);
const lock = (packages: LockFile['packages']): LockFile => ({
  format: 'distroforge-lock',
  version: 1,
  suite: 'bookworm',
  variant: 'minbase',
  architecture: 'amd64',
  packages,
});

describe('lockDifferences', () => {
  it('names added, removed and changed packages', () => {
    const before = lock([
      { name: 'a', version: '1', sha256: sha('a') },
      { name: 'b', version: '1', sha256: sha('b') },
      { name: 'c', version: '1', sha256: sha('c') },
    ]);
    const after = lock([
      { name: 'a', version: '1', sha256: sha('a') },
      { name: 'b', version: '2', sha256: sha('d') },
      { name: 'd', version: '1', sha256: sha('e') },
    ]);
    expect(lockDifferences(before, after)).toEqual(['+ d 1 (new)', '- c 1 (no longer resolved)', '~ b 1 -> 2']);
    expect(lockDifferences(before, before)).toEqual([]);
  });
});

describe('lock file of examples/debian-live (real, verified bookworm metadata)', () => {
  it('resolves, round-trips, passes --locked, and refuses a lock that no longer matches', async () => {
    const work = await mkdtemp(join(tmpdir(), 'df-lock-'));
    const dir = join(work, 'debian-live');
    await copyExampleProfile('debian-live', dir);
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const loaded = await loadProfile(dir);
    const resolved = await resolveLock(loaded);
    expect(resolved.packages.map((p) => p.name)).toContain('systemd-sysv');
    expect(resolved.packages.some((p) => p.name.startsWith('linux-image-6.'))).toBe(true);
    await writeLock(dir, resolved);
    expect(await readLock(dir)).toEqual(resolved);
    await expect(assertLocked(loaded)).resolves.toBeUndefined();

    const text = await readFile(join(dir, LOCK_FILE), 'utf8');
    const bash = resolved.packages.find((p) => p.name === 'bash')!;
    await writeFile(
      join(dir, LOCK_FILE),
      text.replace(JSON.stringify(bash), JSON.stringify({ ...bash, version: '0.1-1' })),
    );
    const error = await assertLocked(loaded).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_LOCK_MISMATCH', value: [`~ bash 0.1-1 -> ${bash.version}`] });
  }, 300_000);

  it('explains a missing or broken lock file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-lock-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await expect(readLock(dir)).rejects.toMatchObject({ code: 'ERR_LOCK_MISSING' });
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({
        format: 'distroforge-lock',
        version: 1,
        suite: 'x',
        variant: 'y',
        architecture: 'z',
        packages: [{ name: 'a', version: '1', sha256: 'nope' }],
      }),
    );
    await expect(readLock(dir)).rejects.toMatchObject({ code: 'ERR_LOCK_INVALID' });
  });
});

describe('a package the source cannot provide is located in the profile', () => {
  it('points at its packages.txt line, or its profile.yaml entry (real bookworm metadata)', async () => {
    const work = await mkdtemp(join(tmpdir(), 'df-unsat-'));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const dir = join(work, 'debian-live');
    await copyExampleProfile('debian-live', dir);
    const listed = (await readFile(join(dir, 'packages.txt'), 'utf8')).split('\n');
    const line = listed.at(-1) === '' ? listed.length : listed.length + 1;
    await appendFile(join(dir, 'packages.txt'), `${listed.at(-1) === '' ? '' : '\n'}no-such-package-df  # a typo\n`);
    const error = await resolveLock(await loadProfile(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_UNSATISFIABLE',
      path: `${join(dir, 'packages.txt')}:${line}:1`,
    });
    expect((error as UnsatisfiableError).hint).toMatch(/^correct or remove no-such-package-df there/);

    const yamlOnly = join(work, 'yaml-only');
    await copyExampleProfile('debian-live', yamlOnly);
    const yaml = await readFile(join(yamlOnly, 'profile.yaml'), 'utf8');
    await writeFile(join(yamlOnly, 'profile.yaml'), `${yaml.trimEnd()}\npackages:\n  - htop\n  - no-such-package-df\n`);
    const yamlLine = yaml.trimEnd().split('\n').length + 3;
    const fromYaml = await resolveLock(await loadProfile(yamlOnly)).catch((e: unknown) => e);
    expect(fromYaml).toMatchObject({
      code: 'ERR_BOOTSTRAP_UNSATISFIABLE',
      path: `${join(yamlOnly, 'profile.yaml')}:${yamlLine}:5`,
    });
  }, 300_000);

  it('says when a dependency, not the listed package, is missing; passes other errors through', async () => {
    const work = await mkdtemp(join(tmpdir(), 'df-unsat-'));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const dir = join(work, 'debian-live');
    await copyExampleProfile('debian-live', dir);
    const loaded = await loadProfile(dir);
    const first = loaded.packages[0]!;
    const error = await locatingUnsatisfiable(loaded, () =>
      Promise.reject(new UnsatisfiableError([first, 'libgone1'], 'no package of that name and no provider')),
    ).catch((e: unknown) => e);
    expect((error as UnsatisfiableError).path).toMatch(/packages\.txt:\d+:1$/);
    expect((error as UnsatisfiableError).hint).toBe(
      `${first} exists, but libgone1 (which it needs) cannot be met from the profile's source: add a package that provides it, or drop ${first}`,
    );
    const unlisted = new UnsatisfiableError(['not-in-profile'], 'no package of that name and no provider');
    await expect(locatingUnsatisfiable(loaded, () => Promise.reject(unlisted))).rejects.toBe(unlisted);
    const other = new Error('network down');
    await expect(locatingUnsatisfiable(loaded, () => Promise.reject(other))).rejects.toBe(other);
  });
});
