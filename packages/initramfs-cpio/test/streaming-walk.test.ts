import { execa } from 'execa';
import { chmod, link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyManifest, mergeManifest, type Manifest } from '@distroforge/core';
import { entriesFromDirectory, type CpioEntry, type DirectoryInputOptions } from '@distroforge/initramfs-cpio';
import { referenceEntriesFromDirectory } from './reference-directory-walk.js';
import { tempDir } from './helpers.js';

let work: string;
let tree: string;

/** Names whose byte order differs from a per-directory depth-first order, and other odd ones. */
const names = ['a', 'a-b', 'a.b', 'a b', 'a0', '-lead', ' space', '.dot', '~', 'é', 'z😀', 'z\uE000', 'zz', 'Z'];

beforeAll(async () => {
  work = await tempDir();
  tree = join(work, 'tree');
  const outside = join(work, 'outside');
  await mkdir(outside);
  for (const a of names) {
    await mkdir(join(tree, a, 'sub', 'deeper'), { recursive: true });
    for (const b of names) await writeFile(join(tree, a, b.includes('/') ? 'x' : `${b}.txt`), `${a}/${b}\n`);
    await writeFile(join(tree, a, 'sub', 'deeper', 'f'), a);
    await mkdir(join(tree, a, 'empty'));
  }
  await mkdir(join(tree, 'a', 'a-'), { recursive: true });
  await writeFile(join(tree, 'a', 'a-', 'x'), 'x');
  // A complete hard-link group spread over directories, one with links outside the tree (its
  // last name inside is only known at the end), and one with a single name inside.
  await link(join(tree, 'zz', 'a.txt'), join(tree, 'a', 'zz-link'));
  await link(join(tree, 'zz', 'a.txt'), join(tree, '-lead', 'link'));
  await writeFile(join(outside, 'shared'), 'shared by a name outside\n');
  await link(join(outside, 'shared'), join(tree, 'a-b', 'partial'));
  await link(join(outside, 'shared'), join(tree, 'a b', 'partial'));
  await writeFile(join(outside, 'single'), 'one name inside\n');
  await link(join(outside, 'single'), join(tree, 'a0', 'single'));
  await symlink('../zz/a.txt', join(tree, 'a', 'sym'));
  await execa('mkfifo', [join(tree, 'a.b', 'fifo')]);
  await writeFile(join(tree, 'placeholder'), '');
  await chmod(join(tree, 'a', 'a.txt'), 0o4711);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const collect = async (source: AsyncIterable<CpioEntry>) => {
  const out: CpioEntry[] = [];
  for await (const entry of source) out.push(entry);
  return out;
};

describe('streaming directory walk', () => {
  const manifest: Manifest = mergeManifest(emptyManifest(), [
    { path: '/', mode: 0o700 },
    { path: '/a/a.txt', uid: 7, gid: 8, mode: 0o600 },
    { path: '/dev/net/tun', type: 'char', mode: 0o666, major: 10, minor: 200 },
    { path: '/a-/made', type: 'dir' },
    { path: '/a/a-/node', type: 'fifo', mode: 0o600 },
    { path: '/zz/a.txt/below-a-file', type: 'symlink', target: 'x' },
    { path: '/placeholder', type: 'block', mode: 0o660, major: 8, minor: 1 },
    { path: '/-lead/link', mode: 0o640 },
  ]);
  const cases: Array<[string, DirectoryInputOptions]> = [
    ['plain', {}],
    ['owner root, first inode 100', { owner: 'root', firstInode: 100 }],
    ['with a manifest', { manifest, owner: 'root' }],
  ];
  it.each(cases)('yields exactly what the walk-everything-then-sort implementation did (%s)', async (_, options) => {
    const ours = await collect(entriesFromDirectory(tree, options));
    const reference = await collect(referenceEntriesFromDirectory(tree, options));
    expect(ours.map((e) => e.path)).toEqual(reference.map((e) => e.path));
    expect(ours).toEqual(reference);
    // The cases the walk must get right are really there.
    expect(ours.some((e) => e.links?.length === 2)).toBe(true);
    expect(ours.filter((e) => e.path.endsWith('partial') || e.links?.some((l) => l.endsWith('partial')))).toHaveLength(
      1,
    );
  });

  it('puts a hard-link group with links outside the tree at its last name inside', async () => {
    const paths = (await collect(entriesFromDirectory(tree))).map((e) => [e.path, ...(e.links ?? [])].join(' + '));
    expect(paths).toContain('a b/partial + a-b/partial');
    expect(paths.indexOf('a b/partial + a-b/partial')).toBeGreaterThan(paths.indexOf('a-b/a.txt'));
    expect(paths.indexOf('a b/partial + a-b/partial')).toBeGreaterThan(paths.indexOf('a b/sub/deeper/f'));
    expect(paths.indexOf('a b/partial + a-b/partial')).toBeLessThan(paths.indexOf('a-b/sub'));
  });
});
