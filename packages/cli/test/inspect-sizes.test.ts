// inspect --sizes: one small Debian root (dpkg's database, merged /usr, unowned files) packed as a
// squashfs, an EROFS image, an ISO holding the squashfs and a GPT disk with an ext4 root (raw and
// qcow2); each
// gives the breakdown of the tree itself (the squashfs read from its listing and a partial
// extraction, the others extracted), as JSON and as text. A built profile is covered in
// build-sbom.test.ts.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageInventory } from '../src/inventory/image-inventory.js';
import { sizeBreakdown } from '../src/inventory/size-breakdown.js';
import { runDistroforge } from './run-distroforge.js';

let work = '';
let tree = '';
const COPYRIGHT =
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n';
const copyrightBytes = Buffer.byteLength(COPYRIGHT);

async function put(path: string, content: string | number): Promise<void> {
  await mkdir(dirname(join(tree, path)), { recursive: true });
  await writeFile(join(tree, path), typeof content === 'number' ? Buffer.alloc(content, 1) : content);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-inspect-sizes-'));
  tree = join(work, 'tree');
  await put(
    'var/lib/dpkg/status',
    [
      'Package: big\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.0-1\nMaintainer: A <a@example.org>',
      'Package: small\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0',
    ].join('\n\n'),
  );
  await put('var/lib/dpkg/info/big.list', '/bin\n/bin/big\n/usr/lib/big/data.bin\n/usr/share/doc/big/copyright\n');
  await put('var/lib/dpkg/info/small.list', '/etc/small.conf\n/usr/share/small/a\n/usr/share/small/b\n');
  await symlink('usr/bin', join(tree, 'bin'));
  await put('usr/bin/big', 300_000);
  await put('usr/lib/big/data.bin', 1_500_000);
  await put('usr/share/doc/big/copyright', COPYRIGHT);
  await put('etc/small.conf', 10);
  await put('usr/share/small/a', 2_000);
  await put('usr/share/small/b', 3_000);
  await put('etc/machine-id', 33);
  await put('etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

/** The breakdown read straight from the tree: what every image of it must give. */
const expected = async () => sizeBreakdown(await readImageInventory(tree));

async function sizesJson(target: string): Promise<Record<string, unknown>> {
  const run = await runDistroforge(['inspect', '--sizes', target, '--json']);
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('inspect --sizes IMAGE', () => {
  it('a squashfs: listed and extracted in part, the same breakdown as the tree; the text names the biggest package, folder and file', async () => {
    const image = join(work, 'root.squashfs');
    await execa('mksquashfs', [tree, image, '-noappend', '-quiet', '-no-progress']);
    const report = await sizesJson(image);
    const { format, totalBytes, packages, directories, biggestFiles, unownedBytes } = await expected();
    expect(report).toMatchObject({
      source: 'squashfs image',
      format,
      totalBytes,
      packages,
      directories,
      biggestFiles,
      unownedBytes,
    });
    expect(packages[0]).toMatchObject({ name: 'big', bytes: 1_800_000 + copyrightBytes, files: 3 });
    const text = await runDistroforge(['inspect', '--sizes', image]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^ {2}total +1\.7 MiB in 11 files$/m);
    expect(text.stdout).toMatch(/^ {2}1\.7 MiB +3 +big +2\.0-1 amd64$/m);
    expect(text.stdout).toMatch(/^ {2}1\.4 MiB +1 +\/usr\/lib\/big$/m);
    expect(text.stdout).toMatch(/^ {2}1\.4 MiB +\/usr\/lib\/big\/data\.bin +big$/m);
    expect(text.stdout).toMatch(/^ +33 B +\/etc\/machine-id +-$/m);
  });

  it('an EROFS image, an ISO holding the squashfs, and a GPT disk with an ext4 root (raw and qcow2) give the same breakdown', async () => {
    const want = await expected();
    const erofs = join(work, 'root.erofs');
    await execa('mkfs.erofs', ['--quiet', erofs, tree]);
    const iso = join(work, 'live.iso');
    const isoTree = join(work, 'iso');
    await mkdir(join(isoTree, 'live'), { recursive: true });
    await execa('mksquashfs', [
      tree,
      join(isoTree, 'live', 'filesystem.squashfs'),
      '-noappend',
      '-quiet',
      '-no-progress',
    ]);
    await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-V', 'SIZES', '-o', iso, isoTree]);
    const disk = join(work, 'disk.img');
    await writeFile(disk, Buffer.alloc(0));
    await execa('truncate', ['-s', '24M', disk]);
    await execa('sgdisk', ['-n', '1:2048:+16M', '-t', '1:8300', '-c', '1:root', disk]);
    await execa('mke2fs', ['-q', '-t', 'ext4', '-d', tree, '-E', 'offset=1048576', disk, '16M']);
    const qcow2 = join(work, 'disk.qcow2');
    await execa('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', disk, qcow2]);
    for (const [image, source] of [
      [erofs, 'EROFS image'],
      [iso, '/live/filesystem.squashfs in the ISO'],
      [disk, 'partition 1 (root, ext4) of the disk'],
      [qcow2, 'partition 1 (root, ext4) of the disk'],
    ] as const) {
      const report = await sizesJson(image);
      expect(report.source).toBe(source);
      // lost+found and the like are folders, never files: the ext4 root adds no file.
      expect(report).toMatchObject({
        totalBytes: want.totalBytes,
        packages: want.packages,
        directories: want.directories,
        biggestFiles: want.biggestFiles,
      });
    }
  }, 120_000);

  it('an ISO of a layered live root: the overlay layer stacked on the root image (added, replaced and whited-out files), an initrd ignored', async () => {
    const layer = join(work, 'layer');
    await mkdir(join(layer, 'usr/share/small'), { recursive: true });
    await mkdir(join(layer, 'etc'));
    await writeFile(join(layer, 'etc/motd'), Buffer.alloc(100, 2));
    await writeFile(join(layer, 'usr/share/small/a'), Buffer.alloc(7_000, 3));
    const merged = join(work, 'merged');
    await cp(tree, merged, { recursive: true, verbatimSymlinks: true });
    await cp(layer, merged, { recursive: true });
    await rm(join(merged, 'usr/share/small/b'));
    const isoTree = join(work, 'iso-layered');
    await mkdir(join(isoTree, 'live'), { recursive: true });
    const squash = (from: string, to: string, ...extra: string[]) =>
      execa('mksquashfs', [from, join(isoTree, 'live', to), '-noappend', '-quiet', '-no-progress', ...extra]);
    await squash(tree, 'filesystem.squashfs');
    // overlayfs' whiteout: a character device 0:0 where the hidden file was.
    await squash(layer, 'overlay.squashfs', '-p', 'usr/share/small/b c 0 0 0 0 0');
    await writeFile(join(isoTree, 'live', 'initrd.img'), Buffer.alloc(4096));
    const iso = join(work, 'layered.iso');
    await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-V', 'LAYERED', '-o', iso, isoTree]);
    const report = await sizesJson(iso);
    const want = sizeBreakdown(await readImageInventory(merged));
    expect(report).toMatchObject({
      source: '/live/filesystem.squashfs in the ISO',
      notes: ['with its layer /live/overlay.squashfs on top'],
      totalBytes: want.totalBytes,
      files: want.files,
      packages: want.packages,
      directories: want.directories,
      biggestFiles: want.biggestFiles,
    });
    expect(want.packages.find((p) => p.name === 'small')).toMatchObject({ bytes: 10 + 7_000, files: 2 });
  }, 120_000);

  it('refuses a file it cannot size, a bad --top, a profile never built and a busybox profile', async () => {
    const cpio = join(work, 'x.cpio');
    await execa('sh', ['-c', `cd ${tree} && find etc | cpio -o -H newc --quiet > ${cpio}`]);
    const notImage = await runDistroforge(['inspect', '--sizes', cpio, '--json']);
    expect(notImage.exitCode).toBe(2);
    expect(notImage.stderr).toContain('ERR_USAGE');
    const top = await runDistroforge(['inspect', '--sizes', cpio, '--top', '0']);
    expect(top.exitCode).toBe(2);
    expect(top.stderr).toContain('--top 0');
    const profile = join(work, 'profile');
    await mkdir(profile);
    await writeFile(join(profile, 'profile.yaml'), 'name: never-built\nsource: {type: apt}\noutputs: [iso]\n');
    const unbuilt = await runDistroforge(['inspect', '--sizes', profile, '--json']);
    expect(unbuilt.exitCode).not.toBe(0);
    expect(unbuilt.stderr).toContain('ERR_INVENTORY_UNREADABLE');
    expect(unbuilt.stderr).toContain('distroforge build');
    const busybox = join(work, 'busybox');
    await mkdir(busybox);
    await writeFile(join(busybox, 'profile.yaml'), 'name: tiny\nsource: {type: busybox}\noutputs: [initramfs]\n');
    const none = await runDistroforge(['inspect', '--sizes', busybox]);
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toContain('a busybox build has no package root');
  });
});

describe('the size breakdown', () => {
  it('folders partition the files (their rows add up to the total), rows sorted by size then name, --top cuts them', async () => {
    const inventory = await readImageInventory(tree);
    const all = sizeBreakdown(inventory, { top: 1000 });
    expect(all.directories.reduce((n, d) => n + d.bytes, 0)).toBe(inventory.totalBytes);
    expect(all.directories.reduce((n, d) => n + d.files, 0)).toBe(all.files);
    expect(all.packageBytes + all.unownedBytes).toBe(all.totalBytes);
    expect(all.directories.map((d) => d.path)).toEqual([
      '/usr/lib/big',
      '/usr/bin',
      '/usr/share/small',
      '/var/lib/dpkg',
      '/usr/share/doc',
      '/etc',
    ]);
    const two = sizeBreakdown(inventory, { top: 2, depth: 1 });
    expect(two.directories).toEqual([
      { path: '/usr', bytes: 1_805_000 + copyrightBytes, files: 5 },
      { path: '/var', bytes: expect.any(Number), files: 3 },
    ]);
    expect(two.packages.map((p) => p.name)).toEqual(['big', 'small']);
    expect(two.biggestFiles).toEqual([
      { path: '/usr/lib/big/data.bin', bytes: 1_500_000, package: 'big' },
      { path: '/usr/bin/big', bytes: 300_000, package: 'big' },
    ]);
  });
});
