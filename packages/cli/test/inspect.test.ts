import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layoutPartitions, writeGpt } from '@distroforge/disk-assemble';
import { packCpio } from '@distroforge/initramfs-cpio';
import { detectFileKind, inspectFile } from '@distroforge/cli';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';

const repoRoot = resolve(import.meta.dirname, '../../..');

const corpus = resolve(import.meta.dirname, '../../rpm-extract/test/corpus');
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-inspect-'));
  await mkdir(join(work, 'tree/etc'), { recursive: true });
  await writeFile(join(work, 'tree/etc/hostname'), 'inspected\n');
});

describe('inspect', () => {
  it('reads an RPM header and file list (corpus package)', async () => {
    const result = await inspectFile(join(corpus, 'hello-2.0-1.i686.rpm'));
    expect(result.kind).toBe('rpm');
    expect(result.summary.nevra).toBe('hello-2.0-1.i686');
    expect(result.entries.some((e) => e.endsWith(' /usr/bin/hello') && e.startsWith('100751 root/root'))).toBe(true);
  });

  it('reads a .deb: its control fields and the files of its data tarball (built by dpkg-deb)', async () => {
    const tree = join(work, 'deb-tree');
    await mkdir(join(tree, 'DEBIAN'), { recursive: true });
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await writeFile(
      join(tree, 'DEBIAN/control'),
      'Package: inspected\nVersion: 2.1-3\nArchitecture: all\nMaintainer: t <t@example.org>\nInstalled-Size: 4\nDepends: libc6 (>= 2.36), zlib1g | libz\nDescription: a package to inspect\n more text\n',
    );
    await writeFile(join(tree, 'usr/bin/hello'), 'echo hello\n', { mode: 0o755 });
    await symlink('hello', join(tree, 'usr/bin/hi'));
    const file = join(work, 'inspected.deb');
    await execa('dpkg-deb', ['--root-owner-group', '--build', tree, file]);
    const result = await inspectFile(file);
    expect(result.kind).toBe('deb');
    expect(result.summary).toMatchObject({
      package: 'inspected',
      version: '2.1-3',
      architecture: 'all',
      description: 'a package to inspect',
      installedSize: 4096,
      depends: 2,
      files: 5,
    });
    expect(result.entries).toEqual(
      expect.arrayContaining(['100755 0/0         11 /usr/bin/hello', '120777 0/0          0 /usr/bin/hi -> hello']),
    );
  });

  it('lists a newc initramfs, gzip-compressed', async () => {
    const file = join(work, 'initrd.img');
    await packCpio({
      input: { directory: join(work, 'tree') },
      output: file,
      compress: 'gzip',
      sourceDateEpoch: 1_700_000_000,
    });
    const result = await inspectFile(file);
    expect(result.kind).toBe('cpio');
    expect(result.entries.some((e) => / 10 etc\/hostname$/.test(e))).toBe(true);
  });

  it('lists a squashfs made by mksquashfs', async () => {
    const file = join(work, 'root.squashfs');
    await execa('mksquashfs', [join(work, 'tree'), file, '-noappend', '-quiet', '-all-root']);
    const result = await inspectFile(file);
    expect(result.kind).toBe('squashfs');
    expect(result.entries.some((e) => e.endsWith('/etc/hostname'))).toBe(true);
  });

  it('prints the partition table of a GPT disk as sfdisk reads it, raw and qcow2', async () => {
    const file = join(work, 'disk.img');
    const table = layoutPartitions(
      [
        { name: 'ESP', type: 'esp', size: 2 * 1048576 },
        { name: 'root', type: 'root-x86-64', size: 'rest' },
      ],
      { diskSize: 8 * 1048576, seed: 'inspect-test' },
    );
    await writeGpt(file, table);
    const result = await inspectFile(file);
    expect(result.kind).toBe('disk');
    expect(result.summary).toMatchObject({ format: 'raw', diskSize: 8 * 1048576, backupGptValid: true, partitions: 2 });
    const sfdisk = JSON.parse((await execa('sfdisk', ['--json', file])).stdout) as {
      partitiontable: { id: string; partitions: { uuid: string; name: string }[] };
    };
    expect(result.summary.diskGuid).toBe(sfdisk.partitiontable.id);
    expect(result.entries).toHaveLength(2);
    for (const [i, p] of sfdisk.partitiontable.partitions.entries()) {
      expect(result.entries[i]).toContain(p.uuid);
      expect(result.entries[i]).toContain(p.name);
    }
    const qcow2 = join(work, 'disk.qcow2');
    await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', file, qcow2]);
    const converted = await inspectFile(qcow2);
    expect(converted.kind).toBe('disk');
    expect(converted.summary).toMatchObject({ format: 'qcow2', diskGuid: sfdisk.partitiontable.id });
  });

  it("reads a pacman package (.PKGINFO and its file list) and a sync database (its packages), zstd, gzip or plain tar, as Debian's pacman reads them", async () => {
    const generated = await generatePacmanTestRepo(join(repoRoot, '.cache', 'pacman-test-repo', 'repo'));
    const app = generated.packages.find((p) => p.name === 'app')!;
    const pkgFile = join(
      generated.dir,
      'extra',
      (await readdir(join(generated.dir, 'extra'))).find((f) => f.startsWith('app-') && f.endsWith('.pkg.tar.zst'))!,
    );
    expect(await detectFileKind(pkgFile)).toBe('pacman-package');
    const pkg = await inspectFile(pkgFile);
    expect(pkg.summary).toMatchObject({ name: 'app', version: app.version, depends: app.depends!.length });
    // pacman's own listing of the package's files.
    const { stdout } = await execa('pacman', ['-Qlpq', pkgFile]);
    expect(pkg.entries).toEqual(
      stdout
        .split('\n')
        .map((l) => l.replace(/^\//, ''))
        .sort(),
    );
    // A plain (uncompressed) tar is recognised too.
    const plain = join(work, 'app.pkg.tar');
    await execa('sh', ['-c', `zstd -dc "$1" > "$2"`, 'sh', pkgFile, plain]);
    expect(await detectFileKind(plain)).toBe('pacman-package');
    for (const repo of generated.repos) {
      expect(await detectFileKind(repo.db)).toBe('pacman-database');
      const db = await inspectFile(repo.db);
      const names = generated.packages.filter((p) => p.repo === repo.name).map((p) => p.name);
      expect(db.summary).toMatchObject({ repository: repo.name, packages: names.length });
      expect(db.entries.map((e) => e.split(' ')[0]).sort()).toEqual([...names].sort());
    }
  });

  it('refuses a file of unknown format with a typed error', async () => {
    const file = join(work, 'notes.txt');
    await writeFile(file, 'just text\n');
    await expect(detectFileKind(file)).rejects.toMatchObject({ code: 'ERR_INSPECT_UNKNOWN_FORMAT', path: file });
    await expect(inspectFile(join(work, 'missing'))).rejects.toMatchObject({ code: 'ERR_INSPECT_UNREADABLE' });
  });

  it('ends quietly (exit 141, nothing on stderr) when its reader stops early: distroforge inspect FILE | head -1', async () => {
    // A listing much longer than a pipe buffer: the initramfs of a tree of many files.
    const many = join(work, 'many');
    await mkdir(many);
    for (let i = 0; i < 3000; i++) await writeFile(join(many, `file-with-a-long-name-${i}`), '');
    const file = join(work, 'many.img');
    await packCpio({ input: { directory: many }, output: file, sourceDateEpoch: 1_700_000_000 });
    const cli = join(import.meta.dirname, '..', 'dist', 'bin', 'cli.js');
    const run = await execa('bash', ['-o', 'pipefail', '-c', 'node "$1" inspect "$2" | head -1', 'bash', cli, file], {
      reject: false,
    });
    expect(run.stdout).toMatch(new RegExp(`^${file}: cpio archive`));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(141);
  });
});
