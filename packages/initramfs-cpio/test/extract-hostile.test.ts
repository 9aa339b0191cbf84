import { lstat, readFile, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDistroforgeError } from '@distroforge/core';
import { extractCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { rawArchive, type RawMember } from './newc-archive.js';
import { sentinelWorkDir } from './sentinel.js';

// Hostile archives aimed at a host file and a host directory beside the target. Run as root (the
// suite's normal environment) a write through a symlink would also chmod the host file to 4777.
let work: string;
let counter = 0;
beforeAll(async () => {
  work = await tempDir('icpio-hostile-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Outcome = { ok: true } | { ok: false; code: string };

/** Extracts `members` into a fresh work dir; returns the outcome after checking nothing outside the target changed. */
async function attempt(
  build: (paths: { sentinel: string; outside: string }) => RawMember[],
): Promise<{ outcome: Outcome; target: string }> {
  const dir = await sentinelWorkDir(join(work, `case-${counter++}`));
  const archive = rawArchive(build(dir));
  let outcome: Outcome;
  try {
    await extractCpio(archive, dir.target);
    outcome = { ok: true };
  } catch (error) {
    if (!isDistroforgeError(error)) throw error;
    outcome = { ok: false, code: error.code };
    // A refused archive leaves no partial output.
    await expect(lstat(dir.target)).rejects.toMatchObject({ code: 'ENOENT' });
  }
  await dir.check();
  return { outcome, target: dir.target };
}

const refused = { ok: false, code: 'ERR_CPIO_UNSAFE_PATH' };
const file = (name: string, data: string, extra: Partial<RawMember> = {}): RawMember => ({
  name,
  type: 'file',
  mode: 0o4777,
  data,
  ...extra,
});
const symlinkTo = (name: string, target: string, extra: Partial<RawMember> = {}): RawMember => ({
  name,
  type: 'symlink',
  mode: 0o777,
  data: target,
  ...extra,
});
const dir = (name: string): RawMember => ({ name, type: 'dir', mode: 0o755 });

describe('extractCpio with hostile archives (nothing outside the target changes)', () => {
  it("the issue's exploit: file a (inode 50, 2 links), a again as a symlink to a host file, then b with inode 50 and data: refused", async () => {
    const { outcome } = await attempt(({ sentinel }) => [
      file('a', '', { ino: 50, nlink: 2 }),
      symlinkTo('a', sentinel),
      file('b', 'pwned\n', { ino: 50, nlink: 2 }),
    ]);
    expect(outcome).toEqual(refused);
  });

  it('a symlink to a host directory, then a file through it: refused', async () => {
    expect((await attempt(({ outside }) => [symlinkTo('a', outside), file('a/x', 'pwned')])).outcome).toEqual(refused);
  });

  it('a symlink to .. , then a file through it: refused', async () => {
    expect((await attempt(() => [symlinkTo('a', '..'), file('a/x', 'pwned')])).outcome).toEqual(refused);
  });

  it("a symlink to a host directory replacing the archive's own directory, then a file under it: refused", async () => {
    expect(
      (await attempt(({ outside }) => [dir('a'), file('a/y', 'ok'), symlinkTo('a', outside), file('a/x', 'pwned')]))
        .outcome,
    ).toEqual(refused);
  });

  it('a file replacing a directory: refused', async () => {
    expect((await attempt(() => [dir('a'), file('a', 'x')])).outcome).toEqual(refused);
  });

  it.each(['../x', '/x', 'a/../../x', './../x', '..'])('the name %s: refused', async (name) => {
    expect((await attempt(() => [file(name, 'pwned')])).outcome).toEqual(refused);
  });

  it('a hard link whose first name is a symlink to a host file: extracted as a new regular file, the symlink left alone', async () => {
    const { outcome, target } = await attempt(({ sentinel }) => [
      symlinkTo('a', sentinel, { ino: 50, nlink: 2 }),
      file('b', 'data\n', { ino: 50, nlink: 2 }),
    ]);
    expect(outcome).toEqual({ ok: true });
    expect(await readFile(join(target, 'b'), 'utf8')).toBe('data\n');
    expect((await lstat(join(target, 'b'))).nlink).toBe(1);
    expect((await lstat(join(target, 'b'))).mode & 0o7777).toBe(0o4777);
    expect(await readlink(join(target, 'a'))).toMatch(/sentinel$/);
  });

  it('a symlink replaced by a file, and a file replaced by a symlink: the later member wins, written in place of the link', async () => {
    const { outcome, target } = await attempt(({ sentinel }) => [
      symlinkTo('a', sentinel),
      file('a', 'new\n'),
      file('b', 'old\n'),
      symlinkTo('b', sentinel),
    ]);
    expect(outcome).toEqual({ ok: true });
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('new\n');
    expect((await lstat(join(target, 'b'))).isSymbolicLink()).toBe(true);
  });

  it('hard links between regular files the archive made still work (data on the last name, like GNU cpio)', async () => {
    const { outcome, target } = await attempt(() => [
      file('a', '', { ino: 7, nlink: 2, mode: 0o644 }),
      file('b', 'shared\n', { ino: 7, nlink: 2, mode: 0o644 }),
    ]);
    expect(outcome).toEqual({ ok: true });
    expect((await stat(join(target, 'a'))).ino).toBe((await stat(join(target, 'b'))).ino);
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('shared\n');
  });

  // Every sequence of up to three of these members, in every order: each is refused with a typed
  // error or extracted, and either way the host file and directory are untouched.
  const ops: Record<string, (p: { sentinel: string; outside: string }) => RawMember> = {
    'file a (ino 50)': () => file('a', 'A', { ino: 50, nlink: 2 }),
    'dir a': () => dir('a'),
    'symlink a -> host file (ino 50)': ({ sentinel }) => symlinkTo('a', sentinel, { ino: 50, nlink: 2 }),
    'symlink a -> host dir': ({ outside }) => symlinkTo('a', outside),
    'symlink a -> ..': () => symlinkTo('a', '..'),
    'hard link b (ino 50)': () => file('b', 'pwned', { ino: 50, nlink: 2 }),
    'file a/x': () => file('a/x', 'pwned'),
  };
  const names = Object.keys(ops);
  const sequences: string[][] = [];
  const grow = (prefix: string[]) => {
    if (prefix.length) sequences.push(prefix);
    if (prefix.length < 3) for (const name of names) grow([...prefix, name]);
  };
  grow([]);

  it(`every ordering of ${sequences.length} link/symlink/dir swap sequences: a typed refusal or a safe extraction, the host untouched`, async () => {
    const outcomes = new Map<string, number>();
    for (const sequence of sequences) {
      const { outcome } = await attempt((paths) =>
        sequence.map((name) => (ops[name] as (p: typeof paths) => RawMember)(paths)),
      ).catch((error: unknown) => {
        throw new Error(`sequence [${sequence.join(', ')}]: ${(error as Error).message}`, { cause: error });
      });
      const key = outcome.ok ? 'ok' : outcome.code;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    // Both kinds of outcome occur: the table exercises refusals and successful extractions.
    expect([...outcomes.keys()].sort()).toEqual(['ERR_CPIO_UNSAFE_PATH', 'ok']);
  });
});
