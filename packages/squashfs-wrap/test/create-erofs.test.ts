import { emptyManifest, mergeManifest } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createErofs, ErofsManifestUnsupportedError } from '@distroforge/squashfs-wrap';
import { buildTree, treeManifest, unicodeName } from './fixture.js';

let work: string;
let root: string;
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  ({ work, root } = await buildTree());
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('createErofs, checked with fsck.erofs and dump.erofs', () => {
  it('builds an image fsck.erofs accepts and extracts identically', async () => {
    const output = join(work, 'root.erofs');
    const result = await createErofs({
      source: root,
      output,
      compression: { algorithm: 'lz4hc', level: 9 },
      sourceDateEpoch: 1_700_000_000,
      excludes: ['var/cache/*'],
    });
    expect(result.size).toBe((await stat(output)).size);
    const extracted = join(work, 'erofs-extracted');
    await execa('fsck.erofs', [`--extract=${extracted}`, output]);
    expect(await readFile(join(extracted, 'home/alice', unicodeName), 'utf8')).toBe('héllo\n');
    expect(await readFile(join(extracted, 'usr/share/bulk/f199'), 'utf8')).toBe(
      await readFile(join(root, 'usr/share/bulk/f199'), 'utf8'),
    );
    expect(await readdir(join(extracted, 'var/cache'))).toEqual([]);
    // Identically: every file, symlink and directory of the tree, byte for byte, but what was excluded.
    const diff = await execa('diff', ['-r', '--no-dereference', root, extracted], { reject: false });
    expect(diff.stdout.split('\n').filter((l) => l && !l.startsWith(`Only in ${join(root, 'var/cache')}`))).toEqual([]);
    // fsck.erofs 1.5 extracts hard links as copies; dump.erofs shows both names on one inode.
    const nid = async (path: string) =>
      /NID: (\d+)\s+Links: (\d+)/.exec((await execa('dump.erofs', [`--path=${path}`, output])).stdout)?.slice(1);
    expect(await nid('/usr/bin/su-hardlink')).toEqual(await nid('/usr/bin/su'));
    expect((await nid('/usr/bin/su'))?.[1]).toBe('2');
    const { stdout } = await execa('dump.erofs', ['-s', output]);
    expect(stdout).toMatch(new RegExp(`Filesystem UUID:\\s+${result.uuid}`));
    expect(stdout).toContain('Filesystem created:                           Tue Nov 14 22:13:20 2023');
    // Newer mtimes are clamped to the epoch, older ones kept (as mksquashfs does).
    const time = async (path: string) =>
      /Timestamp: (\S+ \S+)/.exec((await execa('dump.erofs', [`--path=${path}`, output])).stdout)?.[1];
    expect(await time('/etc/hostname')).toBe('2020-09-13 12:26:40.000000000');
    expect(await time('/etc/shadow')).toBe('2023-11-14 22:13:20.000000000');
  });

  it('is byte-identical for the same epoch and differs for another', async () => {
    const build = async (name: string, epoch: number) => {
      const output = join(work, name);
      await createErofs({ source: root, output, compression: { algorithm: 'lz4' }, sourceDateEpoch: epoch });
      return sha256(output);
    };
    const a = await build('a.erofs', 1_700_000_000);
    const b = await build('b.erofs', 1_700_000_000);
    const c = await build('c.erofs', 1_700_000_001);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('without an epoch uses the newest mtime in the tree, so nothing is clamped', async () => {
    const saved = process.env.SOURCE_DATE_EPOCH;
    delete process.env.SOURCE_DATE_EPOCH;
    try {
      const result = await createErofs({ source: root, output: join(work, 'noepoch.erofs') });
      const { stdout } = await execa('find', [root, '-printf', '%T@\\n']);
      expect(result.sourceDateEpoch).toBe(Math.max(...stdout.split('\n').map((t) => Math.floor(Number(t)))));
    } finally {
      if (saved !== undefined) process.env.SOURCE_DATE_EPOCH = saved;
    }
  });

  it('accepts manifest entries the tree already satisfies', async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/hostname', uid, gid, mode: 0o644, type: 'file' }]);
    await expect(
      createErofs({ source: root, output: join(work, 'ok.erofs'), manifest, sourceDateEpoch: 1 }),
    ).resolves.toMatchObject({ sourceDateEpoch: 1 });
  });

  it('refuses manifest owners, devices and fifos it cannot apply (ERR_EROFS_MANIFEST_UNSUPPORTED), writing nothing', async () => {
    const output = join(work, 'manifest.erofs');
    const error = await createErofs({ source: root, output, manifest: treeManifest(), sourceDateEpoch: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ErofsManifestUnsupportedError);
    const paths = (error as ErofsManifestUnsupportedError).value as string[];
    expect(paths).toEqual(expect.arrayContaining(['/dev/console', '/run/initctl', '/etc/shadow']));
    await expect(stat(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects compressors erofs-utils 1.5 lacks', async () => {
    const error = await createErofs({
      source: root,
      output: join(work, 'x.erofs'),
      compression: { algorithm: 'zstd' } as never,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 'compression.algorithm' });
  });
});
