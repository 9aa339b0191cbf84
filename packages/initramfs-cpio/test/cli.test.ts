import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCpio } from '@distroforge/initramfs-cpio';
import { emptyManifest, mergeManifest, writeManifest } from '@distroforge/core';
import { makeTree, tempDir } from './helpers.js';
import { rawArchive, rawMember } from './newc-archive.js';
import { sentinelWorkDir } from './sentinel.js';
import { debianKernel } from './kernel.js';
import { usage } from '../src/run-cli.js';

const packageDir = resolve(import.meta.dirname, '..');
const bin = join(packageDir, 'dist/bin/cli.js');
let work: string;
let tree: string;
const cli = (args: string[]) =>
  execa('node', [bin, ...args], { reject: false, env: { SOURCE_DATE_EPOCH: '1700000000' } });

beforeAll(async () => {
  // The bin is tested as users run it: built (nx runs build before test).
  if (!existsSync(bin)) await execa('npx', ['tsup'], { cwd: packageDir });
  work = await tempDir();
  tree = join(work, 'tree');
  await makeTree(tree);
}, 180_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('initramfs-cpio bin', () => {
  it('prints usage with --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(`${help.stdout}\n`).toBe(usage); // pinned in bin-usage.test.ts (execa drops the last newline)
    expect((await cli([])).exitCode).toBe(2);
    const bad = await cli(['frobnicate']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("initramfs-cpio: ERR_USAGE: unknown command 'frobnicate'");
  });

  it('refuses an unknown flag or command with the nearest known one, a stray argument, and names a missing input file (exit 2, 2, 1)', async () => {
    for (const [args, said] of [
      [['lst', 'x.cpio'], "unknown command 'lst'\n  hint: did you mean list?"],
      [['list', 'x.cpio', '--jsn'], "unknown flag '--jsn'\n  hint: did you mean --json?"],
      [
        ['pack', tree, '-o', join(work, 'x'), '--compres', 'xz'],
        "unknown flag '--compres'\n  hint: did you mean --compress?",
      ],
      [['list', 'a.cpio', 'b.cpio'], "unexpected argument 'b.cpio': this command takes one FILE"],
      [['extract', 'a.cpio'], '-C DIR is required\n  hint: initramfs-cpio extract FILE -C DIR'],
    ] as const) {
      const run = await cli([...args]);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(`initramfs-cpio: ERR_USAGE: ${said}`);
      expect(run.stderr).toContain('usage:\n  initramfs-cpio pack');
    }
    expect(existsSync(join(work, 'x'))).toBe(false);
    // Flag values go through the writer's schema; every bad one is named, as a usage error.
    const badValues = await cli(['pack', tree, '-o', join(work, 'x'), '--compress', 'lz4', '--level', '99']);
    expect(badValues.exitCode).toBe(2);
    expect(badValues.stderr).toMatch(/^initramfs-cpio: ERR_USAGE: --compress: .*"xz"; --level: .*<=22\n/);
    expect(existsSync(join(work, 'x'))).toBe(false);
    const missing = await cli(['list', join(work, 'no-such.cpio')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(`initramfs-cpio: not found: ${join(work, 'no-such.cpio')}`);
  });

  it('pack DIR --manifest --compress zstd, then list shows the manifest applied', async () => {
    const manifest = join(work, 'manifest.json');
    await writeManifest(
      manifest,
      mergeManifest(emptyManifest(), [
        { path: '/bin/tool', uid: 0, gid: 0, mode: 0o4711 },
        { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
      ]),
    );
    const output = join(work, 'packed.cpio.zst');
    const packed = await cli(['pack', tree, '-o', output, '--compress', 'zstd', '--manifest', manifest]);
    expect(packed.stderr).toBe('');
    expect(packed.stdout).toBe(`${output}: ${(await readFile(output)).length} bytes (zstd)`);
    const listed = await cli(['list', output]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(/^-rws--x--x {3}1 {5}0 {5}0 +20 2020-09-13 12:26:40 bin\/tool$/m);
    expect(listed.stdout).toMatch(/^crw------- {3}1 {5}0 {5}0 +5,1 2023-11-14 22:13:20 dev\/console$/m);
    expect(listed.stdout).toMatch(/^drwxr-xr-x {3}2 {5}0 {5}0 +0 2023-11-14 22:13:20 dev$/m);
    const json = await cli(['list', output, '--json']);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; compression: string });
    expect(rows.map((r) => r.name)).toEqual((await listCpio(output)).map((e) => e.name));
    expect(rows[0]?.compression).toBe('zstd');
  });

  it('pack SPEC writes what the gen_init_cpio spec says', async () => {
    const spec = join(work, 'initramfs.spec');
    await writeFile(join(work, 'hello.sh'), '#!/bin/sh\necho hello\n');
    await writeFile(
      spec,
      [
        "# a spec in the kernel's gen_init_cpio format",
        'dir /dev 0755 0 0',
        'nod /dev/console 0600 0 0 c 5 1',
        'nod /dev/sda 0660 0 6 b 8 0',
        'dir /bin 0755 0 0',
        'file /bin/hello hello.sh 0755 0 0 /bin/hello-again',
        'slink /bin/sh hello 0777 0 0',
        'pipe /fifo 0644 0 0',
        'sock /sock 0755 0 0',
        '',
      ].join('\n'),
    );
    const output = join(work, 'spec.cpio');
    expect((await cli(['pack', spec, '-o', output])).exitCode).toBe(0);
    const { stdout } = await execa('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', output], {
      env: { TZ: 'UTC', LC_ALL: 'C' },
    });
    const lines = stdout.split('\n').map((l) => l.replace(/\s+/g, ' '));
    const names = (await execa('cpio', ['-it', '--quiet', '-F', output])).stdout.split('\n');
    expect(names).toEqual([
      'bin',
      'bin/hello',
      'bin/hello-again',
      'bin/sh',
      'dev',
      'dev/console',
      'dev/sda',
      'fifo',
      'sock',
    ]);
    expect(lines[3]).toMatch(/^lrwxrwxrwx 1 0 0 5 .* bin\/sh -> hello$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x 2 0 0 0 /);
    expect(lines[2]).toMatch(/^-rwxr-xr-x 2 0 0 21 /);
    expect(lines[6]).toMatch(/^brw-rw---- 1 0 6 8, 0 /);
    const broken = join(work, 'broken.spec');
    await writeFile(broken, 'nod /dev/x 0600 0 0 q 1 1\n');
    const failed = await cli(['pack', broken, '-o', join(work, 'broken.cpio')]);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('ERR_CPIO_SPEC_SYNTAX');
    expect(failed.stderr).toContain('broken.spec:1: device type must be b or c');
    expect(existsSync(join(work, 'broken.cpio'))).toBe(false);
  });

  it('pack --modules-dir --module adds the closure; --prepend puts an archive first', async () => {
    const kernel = await debianKernel();
    const early = join(work, 'early.cpio');
    await cli(['pack', join(tree, 'etc/sub'), '-o', early]);
    const output = join(work, 'modules.img');
    const packed = await cli([
      'pack',
      tree,
      '-o',
      output,
      '--compress',
      'gzip',
      '--level',
      '1',
      '--modules-dir',
      kernel.modulesDir,
      '--module',
      'virtio_blk',
      '--prepend',
      early,
    ]);
    expect(packed.stdout).toContain(', 3 kernel modules');
    const entries = await listCpio(output);
    expect(entries.filter((e) => e.archive === 0).map((e) => e.name)).toEqual(['.', 'three']);
    const main = entries.filter((e) => e.archive === 1).map((e) => e.name);
    expect(main).toContain(`lib/modules/${kernel.version}/kernel/drivers/block/virtio_blk.ko`);
    expect(main).toContain('bin/tool');
    const unknown = await cli([
      'pack',
      tree,
      '-o',
      output,
      '--modules-dir',
      kernel.modulesDir,
      '--module',
      'nonexistent_mod',
    ]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/ERR_MODULE_NOT_FOUND: kernel module nonexistent_mod not found/);
  });

  it('extract -C DIR and refuses a corrupt archive with a typed error', async () => {
    const archive = join(work, 'x.cpio');
    await cli(['pack', tree, '-o', archive, '--compress', 'xz']);
    const target = join(work, 'x-out');
    const out = await cli(['extract', archive, '-C', target, '--manifest-out', join(work, 'x-manifest.json')]);
    expect(out.exitCode).toBe(0);
    expect(await readFile(join(target, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    expect(await readFile(join(work, 'x-manifest.json'), 'utf8')).toContain('"path":"/etc/fifo","type":"fifo"');
    await writeFile(join(work, 'junk.cpio'), 'not a cpio archive, certainly not');
    const junk = await cli(['list', join(work, 'junk.cpio')]);
    expect(junk.exitCode).toBe(1);
    expect(junk.stderr).toMatch(/^initramfs-cpio: ERR_CPIO_CORRUPT: .*bad magic/);
  });

  it('list of a gzip stream declaring a 1 GiB symlink target and extract of the hard-link exploit: exit 1 with a typed error, the host file intact', async () => {
    const bomb = join(work, 'bomb.cpio.gz');
    const mib = gzipSync(Buffer.alloc(1 << 20));
    await writeFile(
      bomb,
      Buffer.concat([
        gzipSync(rawMember({ name: 'evil', type: 'symlink', data: '', size: 1 << 30 })),
        ...Array.from({ length: 1024 }, () => mib),
      ]),
    );
    const listed = await cli(['list', bomb]);
    expect(listed.exitCode).toBe(1);
    expect(listed.stderr).toMatch(
      /^initramfs-cpio: ERR_CPIO_LIMIT: .*evil: declared symlink target size 1073741824 exceeds 4096 bytes\n {2}at: .*\n {2}hint: /,
    );
    const dir = await sentinelWorkDir(join(work, 'exploit'));
    const exploit = join(work, 'exploit.cpio');
    await writeFile(
      exploit,
      rawArchive([
        { name: 'a', type: 'file', ino: 50, nlink: 2, mode: 0o4777 },
        { name: 'a', type: 'symlink', data: dir.sentinel },
        { name: 'b', type: 'file', ino: 50, nlink: 2, mode: 0o4777, data: 'pwned' },
      ]),
    );
    const extracted = await cli(['extract', exploit, '-C', dir.target]);
    expect(extracted.exitCode).toBe(1);
    expect(extracted.stderr).toMatch(/^initramfs-cpio: ERR_CPIO_UNSAFE_PATH: refusing to extract "b": .*replaced/);
    expect(existsSync(dir.target)).toBe(false);
    await dir.check();
  });
});
