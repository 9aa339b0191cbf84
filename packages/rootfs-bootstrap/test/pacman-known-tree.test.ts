import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeafWriters } from '../src/pacman/install/file-writers.js';
import { KnownTree } from '../src/pacman/install/known-tree.js';
import { UNPACK_THREADS, unpackPacmanPackageWith } from '../src/pacman/install/package-archive.js';
import { tarOf, type PackageMember } from './pacman-package-builder.js';

// A transaction's KnownTree lets its unpacks skip the lstat of paths nothing made: the tree must
// come out as the one-by-one unpack that looks at every path makes it, and what was in the root
// before (its top-level entries) or what a script may have made (after forget()) is looked at.
describe('KnownTree', () => {
  const work = mkdtempSync(join(tmpdir(), 'pacman-known-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const archive = (members: PackageMember[]) => Buffer.concat([tarOf(members), Buffer.alloc(1024)]);
  const unpack = async (root: string, known: KnownTree | undefined, packages: PackageMember[][]) => {
    const writers = new LeafWriters(UNPACK_THREADS);
    try {
      for (const [k, members] of packages.entries())
        await unpackPacmanPackageWith(
          `pkg-${k}.pkg.tar`,
          root,
          { chown: false, archive: archive(members), ...(known ? { known } : {}) },
          writers,
        );
    } finally {
      await writers.close();
    }
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );

  it('answers from the top-level entries it started with and the paths made since, until forget()', () => {
    const root = join(work, 'r');
    const known = new KnownTree(root, new Set(['var', 'tmp']));
    expect(known.isFree(join(root, 'usr/bin/x'))).toBe(true);
    expect(known.isFree(join(root, 'var/lib/x'))).toBe(false);
    expect(known.isFree(join(root, 'tmp'))).toBe(false);
    expect(known.isFree(join(`${root}-other`, 'usr'))).toBe(false);
    known.made(join(root, 'usr/bin/x'));
    expect(known.isFree(join(root, 'usr/bin/x'))).toBe(false);
    expect(known.isFree(join(root, 'usr/bin/y'))).toBe(true);
    known.forget();
    expect(known.isFree(join(root, 'usr/bin/y'))).toBe(false);
    known.made(join(root, 'usr/bin/z'));
    expect(known.isFree(join(root, 'usr/bin/z'))).toBe(false);
  });

  it('later packages replace what earlier ones made (file over file, link over file, file over link) as without it', async () => {
    const packages: PackageMember[][] = [
      [
        { path: 'usr/', type: 'dir' },
        { path: 'usr/bin/', type: 'dir' },
        { path: 'usr/bin/a', data: 'first a' },
        { path: 'usr/bin/b', data: 'first b' },
        { path: 'usr/bin/c', type: 'symlink', link: 'a' },
      ],
      [
        { path: 'usr/', type: 'dir' },
        { path: 'usr/bin/', type: 'dir' },
        { path: 'usr/bin/a', data: 'second a' },
        { path: 'usr/bin/b', type: 'symlink', link: 'a' },
        { path: 'usr/bin/c', data: 'second c' },
      ],
    ];
    const withKnown = mkdtempSync(join(work, 'k-'));
    const without = mkdtempSync(join(work, 'w-'));
    await unpack(withKnown, new KnownTree(withKnown, new Set()), packages);
    await unpack(without, undefined, packages);
    for (const root of [withKnown, without]) {
      expect(readFileSync(join(root, 'usr/bin/a'), 'utf8')).toBe('second a');
      expect(readlinkSync(join(root, 'usr/bin/b'))).toBe('a');
      expect(readFileSync(join(root, 'usr/bin/c'), 'utf8')).toBe('second c');
    }
  });

  it('a directory in the way under a top-level entry the root had, or made after forget(), is found: the same ERR_PACMAN_PACKAGE_FORMAT as without it', async () => {
    const file = [
      { path: 'etc/', type: 'dir' },
      { path: 'etc/x', data: 'a file where a directory is' },
    ] satisfies PackageMember[];
    // Present at the start.
    const before = mkdtempSync(join(work, 'p-'));
    mkdirSync(join(before, 'etc/x'), { recursive: true });
    const present = await failure(unpack(before, new KnownTree(before, new Set(['etc'])), [file]));
    expect(present?.code).toBe('ERR_PACMAN_PACKAGE_FORMAT');
    expect(present?.message).toContain('would replace a directory');
    // Made by something else (a scriptlet) after the transaction's first package.
    const after = mkdtempSync(join(work, 's-'));
    const known = new KnownTree(after, new Set());
    await unpack(after, known, [[{ path: 'etc/', type: 'dir' }]]);
    mkdirSync(join(after, 'etc/x'));
    writeFileSync(join(after, 'etc/x/inside'), '');
    known.forget();
    const scripted = await failure(unpack(after, known, [file]));
    expect(scripted?.code).toBe('ERR_PACMAN_PACKAGE_FORMAT');
    expect(scripted?.message).toContain('would replace a directory');
  });
});
