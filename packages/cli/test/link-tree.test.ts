// The overlay stage works on a hard-link farm of the rootfs stage's tree: applying the manifest's
// owners and modes must give changed nodes inodes of their own and leave the upstream tree as it was.
import { emptyManifest, mergeManifest } from '@distroforge/core';
import {
  chmod,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyManifestToTree } from '../src/pipeline/apply-manifest-to-tree.js';
import { linkTree } from '../src/pipeline/link-tree.js';

const asRoot = process.getuid?.() === 0;
let work = '';
let upstream = '';
let farm = '';

/** What a stage could change of a node: owner, mode, mtime, contents or target. */
async function describeNode(path: string): Promise<string> {
  const st = await lstat(path);
  const body = st.isSymbolicLink() ? await readlink(path) : st.isFile() ? await readFile(path, 'utf8') : '';
  return `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)} ${body}`;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'link-tree-'));
  upstream = join(work, 'upstream');
  farm = join(work, 'farm');
  await mkdir(join(upstream, 'usr/bin'), { recursive: true });
  await mkdir(join(upstream, 'etc'));
  await writeFile(join(upstream, 'usr/bin/tool'), 'tool\n');
  await chmod(join(upstream, 'usr/bin/tool'), 0o755);
  await link(join(upstream, 'usr/bin/tool'), join(upstream, 'usr/bin/tool-alias'));
  await writeFile(join(upstream, 'etc/shadow'), 'root:*:19000::::::\n');
  await chmod(join(upstream, 'etc/shadow'), 0o644);
  await writeFile(join(upstream, 'etc/untouched'), 'same\n');
  await symlink('usr/bin', join(upstream, 'bin'));
  for (const p of ['usr/bin/tool', 'etc/shadow', 'etc/untouched'])
    await utimes(join(upstream, p), 1_600_000_000, 1_600_000_000);
  await linkTree(upstream, farm, { logFile: join(work, 'tools.log') });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('links every file of the upstream tree into new directories', async () => {
  for (const p of ['usr/bin/tool', 'etc/shadow', 'etc/untouched']) {
    expect((await lstat(join(farm, p))).ino, p).toBe((await lstat(join(upstream, p))).ino);
  }
  expect((await lstat(join(farm, 'etc'))).ino).not.toBe((await lstat(join(upstream, 'etc'))).ino);
  expect((await lstat(join(farm, 'etc'))).mode).toBe((await lstat(join(upstream, 'etc'))).mode);
});

it('changes owners and modes in the farm only, keeping links inside the tree and untouched nodes shared', async () => {
  const paths = ['usr/bin/tool', 'usr/bin/tool-alias', 'etc/shadow', 'etc/untouched', 'bin'];
  const before = await Promise.all(paths.map((p) => describeNode(join(upstream, p))));
  const manifest = mergeManifest(emptyManifest(), [
    { path: '/usr/bin/tool', mode: 0o4755, ...(asRoot ? { uid: 0, gid: 50 } : {}) },
    { path: '/etc/shadow', mode: 0o640, ...(asRoot ? { gid: 42 } : {}) },
    { path: '/etc/untouched', mode: 0o644 },
    ...(asRoot ? [{ path: '/bin', type: 'symlink' as const, uid: 0, gid: 7 }] : []),
  ]);
  const changed = await applyManifestToTree(farm, manifest, { logFile: join(work, 'tools.log') });
  expect(changed).toBe(asRoot ? 3 : 2);
  expect(await Promise.all(paths.map((p) => describeNode(join(upstream, p))))).toEqual(before);

  const tool = await lstat(join(farm, 'usr/bin/tool'));
  expect(tool.mode & 0o7777).toBe(0o4755);
  expect(tool.ino).not.toBe((await lstat(join(upstream, 'usr/bin/tool'))).ino);
  // The in-tree hard link follows the file to its new inode, with contents and mtime kept.
  expect((await lstat(join(farm, 'usr/bin/tool-alias'))).ino).toBe(tool.ino);
  expect(await readFile(join(farm, 'usr/bin/tool'), 'utf8')).toBe('tool\n');
  expect(Math.floor(tool.mtimeMs / 1000)).toBe(1_600_000_000);
  expect((await lstat(join(farm, 'etc/shadow'))).mode & 0o7777).toBe(0o640);
  expect((await lstat(join(farm, 'etc/untouched'))).ino).toBe((await lstat(join(upstream, 'etc/untouched'))).ino);
  if (asRoot) {
    expect([tool.uid, tool.gid]).toEqual([0, 50]);
    expect((await lstat(join(farm, 'etc/shadow'))).gid).toBe(42);
    expect((await lstat(join(farm, 'bin'))).gid).toBe(7);
    expect((await lstat(join(upstream, 'bin'))).gid).toBe(0);
  }
  // Applying the same manifest again changes nothing.
  expect(await applyManifestToTree(farm, manifest, { logFile: join(work, 'tools.log') })).toBe(0);
});
