// `distroforge inspect` as a person reads it: for each kind a small real input, the facts the
// summary states checked against the tools people would ask (objcopy for SBAT, mtools for the ESP,
// dpkg-deb, pacman, the bytes written), the tables aligned, and `--json` still one parsable line.
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutPartitions, writeGpt } from '@distroforge/disk-assemble';
import { packCpio } from '@distroforge/initramfs-cpio';
import { assembleIso } from '@distroforge/iso-assemble';
import { inspectFile } from '@distroforge/cli';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { humanSize, modeString, renderReport, renderTable, wrapList } from '../src/commands/inspect-render.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const cli = join(import.meta.dirname, '..', 'dist', 'bin', 'cli.js');
const shimUnsigned = '/usr/lib/shim/shimx64.efi';
const grubSigned = '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed';
const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1' };
/** A dpkg status file dpkg-query reads: two packages installed, one removed with its config files left. */
const dpkgStatus = ['a', 'b', 'c']
  .map(
    (name) =>
      `Package: ${name}\nStatus: ${name === 'c' ? 'deinstall ok config-files' : 'install ok installed'}\nPriority: optional\nArchitecture: all\nVersion: 1.0\nMaintainer: t <t@example.org>\nDescription: ${name}\n`,
  )
  .join('\n');

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-inspect-human-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function inspectText(file: string, ...args: string[]): Promise<string> {
  return (await execa('node', [cli, 'inspect', ...args, file], { env: { NO_COLOR: '1' } })).stdout;
}

/** The lines of the block under `heading` (up to the next blank line). */
function block(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no "${heading}" in\n${text}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The value of one fact line (`  label  value`). */
function fact(text: string, label: string): string {
  const line = text.split('\n').find((l) => new RegExp(`^  ${label} {2,}`).test(l));
  if (!line) throw new Error(`no fact "${label}" in\n${text}`);
  return line.replace(new RegExp(`^  ${label} +`), '');
}

/**
 * The table under `heading` is aligned: every left-aligned column starts where its title starts,
 * every right-aligned one ends where its title ends (checked on the title row's positions).
 */
function expectAligned(rows: string[], left: string[], right: string[]): void {
  const [header, ...body] = rows;
  expect(body.length).toBeGreaterThan(0);
  for (const title of left) {
    const at = header?.indexOf(title) ?? -1;
    expect(at).toBeGreaterThan(0);
    for (const row of body) {
      expect(row[at - 1], `${title} column in "${row}"`).toBe(' ');
      expect(row[at], `${title} column in "${row}"`).not.toBe(' ');
    }
  }
  for (const title of right) {
    const end = (header?.indexOf(title) ?? -1) + title.length;
    for (const row of body) {
      expect(row[end - 1], `${title} column in "${row}"`).not.toBe(' ');
      expect(row[end] ?? ' ', `${title} column in "${row}"`).toBe(' ');
    }
  }
}

/** A table row's cells (columns are separated by at least two blanks). */
function cells(row: string | undefined): string[] {
  return (row ?? '').trim().split(/ {2,}/);
}

/** `component generation` pairs as `objcopy -O binary --only-section=.sbat` extracts them. */
async function objcopySbat(file: string): Promise<string> {
  const out = join(work, 'sbat.bin');
  await execa('objcopy', ['-O', 'binary', '--only-section=.sbat', file, out]);
  return (await readFile(out, 'latin1'))
    .replace(/\0[\s\S]*$/, '')
    .split('\n')
    .filter((l) => l.includes(','))
    .map((l) => l.split(',').slice(0, 2).join(' '))
    .join(', ');
}

describe('rendering', () => {
  it('sizes in binary units, modes as ls shows them, columns padded to the widest cell', () => {
    expect([0, 1023, 1024, 1536, 1048575, 5 * 1048576, 3 * 1024 ** 3].map(humanSize)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '1.0 MiB',
      '5.0 MiB',
      '3.0 GiB',
    ]);
    expect([0o100755, 0o040755, 0o120777, 0o104755, 0o041777, 0o020620].map(modeString)).toEqual([
      '-rwxr-xr-x',
      'drwxr-xr-x',
      'lrwxrwxrwx',
      '-rwsr-xr-x',
      'drwxrwxrwt',
      'crw--w----',
    ]);
    expect(
      renderTable({
        columns: [{ title: 'size', align: 'right' }, { title: 'path' }],
        rows: [
          ['1.0 KiB', '/a'],
          ['12 B', '/bb'],
        ],
      }),
    ).toEqual(['     size  path', '  1.0 KiB  /a', '     12 B  /bb']);
  });

  it('wraps a long list after its commas to the width, and leaves other text whole', () => {
    const list = 'libc6 (>= 2.36), zlib1g, libzstd1 (>= 1.5), liblzma5';
    const lines = wrapList(list, 24);
    expect(lines).toEqual(['libc6 (>= 2.36), zlib1g,', 'libzstd1 (>= 1.5),', 'liblzma5']);
    expect(lines.every((l) => l.length <= 24)).toBe(true);
    expect(lines.join(' ')).toBe(list);
    expect(wrapList('one long sentence without a list in it', 10)).toEqual(['one long sentence without a list in it']);
    const report = {
      title: 't',
      facts: [['depends', list]] as [string, string][],
      sections: [],
      files: { heading: 'Files', table: { columns: [], rows: [] } },
    };
    expect(renderReport('f', report, { width: 40 })).toBe(
      'f: t\n  depends  libc6 (>= 2.36), zlib1g,\n           libzstd1 (>= 1.5), liblzma5\n',
    );
  });

  it('bolds headings on a terminal only, and leaves the file table out with summaryOnly', () => {
    const report = {
      title: 'thing',
      facts: [['label', ['one', 'two']]] as [string, string[]][],
      sections: [],
      files: { heading: 'Files (1)', table: { columns: [{ title: 'path' }], rows: [['/x']] } },
    };
    expect(renderReport('f', report)).toBe('f: thing\n  label  one\n         two\n\nFiles (1)\n  path\n  /x\n');
    expect(renderReport('f', report, { summaryOnly: true })).toBe('f: thing\n  label  one\n         two\n');
    expect(renderReport('f', report, { tty: true })).toContain('\x1b[1mf: thing\x1b[22m');
  });
});

describe('ISO', () => {
  let secure = '';
  let plain = '';
  beforeAll(async () => {
    const kernelDir = (await execa(join(repoRoot, 'tools/fetch-kernel'), { timeout: 600_000 })).stdout
      .trim()
      .split('\n')
      .pop() as string;
    const kernel = join(
      kernelDir,
      'boot',
      (await readdir(join(kernelDir, 'boot'))).find((n) => n.startsWith('vmlinuz-')) as string,
    );
    // The secure ISO's live image has a dpkg database (two packages installed, one only configured);
    // the plain ISO's has none, and a build report beside it lists it.
    const tree = join(work, 'iso-tree');
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/hostname'), 'live\n');
    const bare = join(work, 'bare.squashfs');
    await execa('mksquashfs', [tree, bare, '-noappend', '-quiet', '-all-root']);
    await mkdir(join(tree, 'var/lib/dpkg'), { recursive: true });
    await writeFile(join(tree, 'var/lib/dpkg/status'), dpkgStatus);
    const withDpkg = join(work, 'dpkg-root.squashfs');
    await execa('mksquashfs', [tree, withDpkg, '-noappend', '-quiet', '-all-root', '-comp', 'xz']);
    const initrd = join(work, 'iso-initrd.img');
    await packCpio({ input: { directory: tree }, output: initrd, compress: 'gzip', sourceDateEpoch: 1_700_000_000 });
    const common = { label: 'DFINSPECT', kernel, initrd, kernelArgs: ['boot=live'], sourceDateEpoch: 1_700_000_000 };
    secure = (
      await assembleIso({ ...common, rootImage: withDpkg, output: join(work, 'secure/live.iso'), secureBoot: true })
    ).path;
    plain = (await assembleIso({ ...common, rootImage: bare, output: join(work, 'plain/live.iso') })).path;
    await writeFile(
      join(work, 'plain/build-report.json'),
      JSON.stringify({ outputs: [{ file: plain }], packages: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    );
  }, 600_000);

  it('states the volume id, the boot paths, the signed shim -> GRUB chain with the SBAT generations objcopy reads', async () => {
    const text = await inspectText(secure);
    expect(text.split('\n')[0]).toMatch(/: ISO 9660 image, \d+(\.\d)? MiB$/);
    expect(fact(text, 'volume id')).toBe('DFINSPECT');
    // The boot paths: one fact of three lines, the continuation lines under the first value.
    const boots = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('  boots ')));
    const indent = boots[0]?.indexOf('BIOS') ?? 0;
    expect(boots.slice(0, 3).map((l) => l.slice(indent))).toEqual([
      'BIOS (CD/DVD): GRUB via El Torito (/boot/grub/i386-pc/eltorito.img)',
      'BIOS (USB stick): GRUB via the hybrid MBR',
      'UEFI: shim → GRUB (/EFI/BOOT/BOOTX64.EFI signed → /EFI/BOOT/grubx64.efi signed; Secure Boot ready)',
    ]);
    expect(boots.slice(1, 3).every((l) => l.slice(0, indent).trim() === '')).toBe(true);
    expect(fact(text, 'packages')).toBe('2 (from /var/lib/dpkg/status in /live/filesystem.squashfs)');
    // The live image read in place: its superblock's compressor and inode count, as unsquashfs -s says.
    const squashfsFacts = (await execa('unsquashfs', ['-s', join(work, 'dpkg-root.squashfs')])).stdout;
    const inodes = /Number of inodes (\d+)/.exec(squashfsFacts)?.[1];
    expect(fact(text, 'live system')).toMatch(
      new RegExp(`^/live/filesystem\\.squashfs \\([\\d.]+ KiB, squashfs xz, ${inodes} inodes\\)$`),
    );

    // The EFI binaries: read back from the ESP with mtools, their SBAT with objcopy.
    const binaries = block(text, 'EFI binaries on the ESP');
    expectAligned(binaries, ['program', 'SBAT', 'signature'], ['size']);
    const inspection = await inspectFile(secure);
    const esp = (inspection.summary.gpt as { partitions: { typeGuid: string; start: number }[] }).partitions.find(
      (p) => p.typeGuid === '28732ac11ff8d211ba4b00a0c93ec93b',
    );
    if (!esp) throw new Error('no ESP');
    for (const [path, program, signer] of [
      ['/EFI/BOOT/BOOTX64.EFI', 'shim', 'Microsoft Windows UEFI Driver Publisher'],
      ['/EFI/BOOT/grubx64.efi', 'GRUB', 'Debian Secure Boot Signer 2022 - grub2'],
    ] as const) {
      const copy = join(work, 'from-esp.efi');
      await execa('mcopy', ['-o', '-i', `${secure}@@${esp.start * 512}`, `::${path}`, copy], { env: mtoolsEnv });
      const sbat = await objcopySbat(copy);
      expect(sbat).toMatch(/^sbat 1, /);
      const row = binaries.find((l) => l.trimStart().startsWith(`${path} `));
      expect(row).toBeDefined();
      expect(row).toContain(` ${program} `);
      expect(row).toContain(`  ${sbat}  `);
      expect(row).toContain(`signed (${signer}`);
    }
    const live = block(text, 'Live images, kernels and initrds');
    expect(live.find((l) => l.includes('/live/vmlinuz'))).toMatch(
      /kernel +\d+\.\d MiB +\d+\.\d+\.\d+-\S+, signed \(Debian Secure Boot Signer/,
    );
    expect(live.find((l) => l.includes('/live/filesystem.squashfs'))).toContain('live image');

    // The file table: every visible file, aligned, sizes as humanSize of what xorriso lists.
    const files = block(text, 'Files (');
    expectAligned(files, ['path'], ['size']);
    const iso = inspection.entries.map((e) => JSON.parse(e) as { path: string; type: string; size: number });
    for (const entry of iso.filter((e) => e.type === 'file'))
      expect(files.some((l) => l.endsWith(`${humanSize(entry.size)}  ${entry.path}`))).toBe(true);
  });

  it('says an unsigned GRUB boots UEFI directly when the ISO has no Secure Boot chain', async () => {
    const text = await inspectText(plain, '--summary');
    expect(text).toContain('UEFI: GRUB (/EFI/BOOT/BOOTX64.EFI, unsigned)');
    expect(block(text, 'EFI binaries on the ESP').find((l) => l.includes('BOOTX64.EFI'))).toMatch(
      /GRUB +\d+ KiB +none +unsigned$/,
    );
    expect(fact(text, 'packages')).toBe('3 (from build-report.json beside it)');
    expect(text).not.toContain('Files (');
  });

  it('keeps --json one parsable line of file, kind, summary and entries', async () => {
    const json = JSON.parse(await inspectText(secure, '--json')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['file', 'kind', 'summary', 'entries']);
    expect(json.kind).toBe('iso');
    const summary = json.summary as { volumeId: string; efiBinaries: { path: string; signed: boolean }[] };
    expect(summary.volumeId).toBe('DFINSPECT');
    expect(summary.efiBinaries.map((b) => [b.path, b.signed])).toEqual([
      ['/EFI/BOOT/BOOTX64.EFI', true],
      ['/EFI/BOOT/grubx64.efi', true],
      ['/EFI/BOOT/mmx64.efi', true],
    ]);
    for (const entry of json.entries as string[]) expect(() => JSON.parse(entry)).not.toThrow();
  });
});

describe('GPT disk', () => {
  it('lists the partitions and follows shim -> GRUB on the ESP, raw and qcow2, unsigned shim and signed GRUB', async () => {
    const file = join(work, 'disk.img');
    const table = layoutPartitions(
      [
        { name: 'ESP', type: 'esp', size: 8 * 1048576 },
        { name: 'root', type: 'root-x86-64', size: 'rest' },
      ],
      { diskSize: 16 * 1048576, seed: 'inspect-human' },
    );
    await writeGpt(file, table);
    const esp = join(work, 'esp.img');
    await execa('mkfs.vfat', ['-C', esp, String(8 * 1024)]);
    await execa('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT'], { env: mtoolsEnv });
    await execa('mcopy', ['-i', esp, shimUnsigned, '::/EFI/BOOT/BOOTX64.EFI'], { env: mtoolsEnv });
    await execa('mcopy', ['-i', esp, grubSigned, '::/EFI/BOOT/grubx64.efi'], { env: mtoolsEnv });
    const start = table.partitions[0]?.firstLba ?? 0;
    await execa('dd', [`if=${esp}`, `of=${file}`, 'bs=512', `seek=${start}`, 'conv=notrunc', 'status=none']);
    // An ext4 root with a dpkg database: its package count is read in place with debugfs.
    const rootTree = join(work, 'disk-root');
    await mkdir(join(rootTree, 'var/lib/dpkg'), { recursive: true });
    await writeFile(join(rootTree, 'var/lib/dpkg/status'), dpkgStatus);
    const installed = (
      await execa('dpkg-query', [`--admindir=${join(rootTree, 'var/lib/dpkg')}`, '-W', '-f', '${db:Status-Status}\n'])
    ).stdout
      .split('\n')
      .filter((l) => l === 'installed').length;
    expect(installed).toBe(2);
    const rootPartition = table.partitions[1];
    if (!rootPartition) throw new Error('no root partition');
    const rootBytes = (rootPartition.lastLba - rootPartition.firstLba + 1) * 512;
    await execa('mkfs.ext4', [
      '-q',
      '-F',
      '-d',
      rootTree,
      '-E',
      `offset=${rootPartition.firstLba * 512}`,
      file,
      `${rootBytes / 1024}k`,
    ]);

    const qcow2 = join(work, 'disk.qcow2');
    await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', file, qcow2]);
    for (const image of [file, qcow2]) {
      const text = await inspectText(image);
      expect(text.split('\n')[0]).toMatch(/: GPT disk image \((raw|qcow2)\), 16\.0 MiB$/);
      expect(fact(text, 'boots')).toBe(
        'UEFI: shim → GRUB (/EFI/BOOT/BOOTX64.EFI unsigned → /EFI/BOOT/grubx64.efi signed; not Secure Boot ready)',
      );
      const partitions = block(text, 'Partitions (2)');
      expectAligned(partitions, ['name', 'type'], ['start', 'size']);
      expect(partitions[1]).toMatch(/^ +1 +ESP +esp +1\.0 MiB +8\.0 MiB +vfat/);
      // The raw disk's root is read in place; a qcow2 is not converted for it.
      expect(fact(text, 'packages')).toBe(
        image === file
          ? `${installed} (from /var/lib/dpkg/status in partition 2 (root))`
          : 'unknown (no package database on an ext4 or squashfs partition; no build-report.json lists the disk)',
      );
      const root = table.partitions[1];
      if (!root) throw new Error('no root partition');
      expect(partitions[2]).toMatch(
        new RegExp(`^ +2 +root +root-x86-64 +9\\.0 MiB +${humanSize((root.lastLba - root.firstLba + 1) * 512)} +ext4`),
      );
      const binaries = block(text, 'EFI binaries on the ESP');
      expect(cells(binaries.find((l) => l.includes('BOOTX64.EFI')))).toEqual([
        '/EFI/BOOT/BOOTX64.EFI',
        'shim',
        humanSize((await readFile(shimUnsigned)).length),
        await objcopySbat(shimUnsigned),
        'unsigned',
      ]);
      expect(cells(binaries.find((l) => l.includes('grubx64.efi')))).toEqual([
        '/EFI/BOOT/grubx64.efi',
        'GRUB',
        humanSize((await readFile(grubSigned)).length),
        await objcopySbat(grubSigned),
        'signed (Debian Secure Boot Signer 2022 - grub2)',
      ]);
      expect(block(text, 'ESP files').map((l) => l.trim())).toEqual([
        'size  path',
        `${humanSize((await readFile(shimUnsigned)).length)}  /EFI/BOOT/BOOTX64.EFI`,
        `${humanSize((await readFile(grubSigned)).length)}  /EFI/BOOT/grubx64.efi`,
      ]);
    }
  });
});

describe('squashfs', () => {
  it('states compression, block size, counts, bytes and the package count of its dpkg status', async () => {
    const tree = join(work, 'sq-tree');
    await mkdir(join(tree, 'var/lib/dpkg'), { recursive: true });
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await writeFile(join(tree, 'var/lib/dpkg/status'), dpkgStatus);
    await writeFile(join(tree, 'usr/bin/tool'), Buffer.alloc(5000, 1));
    await execa('ln', ['-s', 'tool', join(tree, 'usr/bin/alias')]);
    const file = join(work, 'dpkg.squashfs');
    await execa('mksquashfs', [tree, file, '-noappend', '-quiet', '-all-root', '-comp', 'xz', '-b', '65536']);
    const text = await inspectText(file);
    expect(text.split('\n')[0]).toMatch(/: squashfs filesystem, xz, /);
    expect(fact(text, 'compression')).toBe('xz');
    expect(fact(text, 'block size')).toBe('64.0 KiB');
    expect(fact(text, 'contents')).toBe(
      `2 files, 6 directories, 1 symlink; ${humanSize(5000 + dpkgStatus.length)} in files`,
    );
    expect(fact(text, 'packages')).toBe('2 (from /var/lib/dpkg/status)');
    const files = block(text, 'Files (9)');
    expectAligned(files, ['path'], ['size']);
    expect(files).toContain('  lrwxrwxrwx      4 B  /usr/bin/alias -> tool');
    expect(files).toContain('  -rw-r--r--  4.9 KiB  /usr/bin/tool');
  });

  it("counts an RPM root's packages from its rpmdb, as the host's rpm lists them", async () => {
    const tree = join(work, 'rpm-tree');
    const dbpath = join(tree, 'var/lib/rpm');
    await mkdir(dbpath, { recursive: true });
    await execa('rpm', ['--dbpath', dbpath, '--initdb']);
    const corpus = resolve(import.meta.dirname, '../../rpm-extract/test/corpus');
    for (const rpm of ['hello-2.0-1.i686.rpm', 'foo-1.0-1.noarch.rpm'])
      await execa('rpm', [
        '--dbpath',
        dbpath,
        '-i',
        '--justdb',
        '--nodeps',
        '--ignorearch',
        '--ignoreos',
        join(corpus, rpm),
      ]);
    const listed = (await execa('rpm', ['--dbpath', dbpath, '-qa'])).stdout.split('\n').filter(Boolean);
    expect(listed).toHaveLength(2);
    const file = join(work, 'rpm.squashfs');
    await execa('mksquashfs', [tree, file, '-noappend', '-quiet', '-all-root', '-no-progress']);
    expect(fact(await inspectText(file, '--summary'), 'packages')).toBe(`${listed.length} (from /var/lib/rpm)`);
  });

  it("counts a pacman root's packages from its local database", async () => {
    const tree = join(work, 'pacman-tree');
    for (const pkg of ['filesystem-1-1', 'glibc-2.40-1', 'bash-5.2-1']) {
      await mkdir(join(tree, 'var/lib/pacman/local', pkg), { recursive: true });
      await writeFile(join(tree, 'var/lib/pacman/local', pkg, 'desc'), `%NAME%\n${pkg.split('-')[0]}\n`);
    }
    await writeFile(join(tree, 'var/lib/pacman/local/ALPM_DB_VERSION'), '9\n');
    const file = join(work, 'pacman.squashfs');
    await execa('mksquashfs', [tree, file, '-noappend', '-quiet', '-all-root']);
    expect(fact(await inspectText(file, '--summary'), 'packages')).toBe('3 (from /var/lib/pacman/local)');
  });
});

describe('erofs', () => {
  it('states the compression, block size, counts and bytes mkfs.erofs wrote', async () => {
    const tree = join(work, 'erofs-tree');
    await mkdir(join(tree, 'usr/share/doc'), { recursive: true });
    await writeFile(join(tree, 'usr/share/doc/big'), 'compressible text\n'.repeat(4000));
    await writeFile(join(tree, 'usr/share/doc/small'), 'x');
    await execa('ln', ['-s', 'big', join(tree, 'usr/share/doc/link')]);
    const file = join(work, 'root.erofs');
    await execa('mkfs.erofs', ['-zlz4hc', '-T1700000000', file, tree]);
    const text = await inspectText(file);
    expect(text.split('\n')[0]).toMatch(/: EROFS filesystem, lz4, /);
    expect(fact(text, 'compression')).toBe('lz4 (1 file compressed)');
    expect(fact(text, 'block size')).toBe('4.0 KiB');
    expect(fact(text, 'created')).toBe('2023-11-14 22:13:20 UTC');
    expect(fact(text, 'contents')).toBe(
      `2 files, 4 directories, 1 symlink; ${humanSize('compressible text\n'.length * 4000 + 1)} in files`,
    );
    const json = JSON.parse(await inspectText(file, '--json')) as { kind: string; summary: { bytes: number } };
    expect(json.kind).toBe('erofs');
    expect(json.summary.bytes).toBe('compressible text\n'.length * 4000 + 1);
  });
});

describe('cpio / initramfs', () => {
  it('states the compression, the entries, the kernel modules and what /init is', async () => {
    const tree = join(work, 'initrd-tree');
    await mkdir(join(tree, 'lib/modules/6.1.0-test/kernel/fs'), { recursive: true });
    const init = '#!/bin/sh\nexec /sbin/init\n';
    await writeFile(join(tree, 'init'), init, { mode: 0o755 });
    await writeFile(join(tree, 'lib/modules/6.1.0-test/kernel/fs/a.ko'), 'a');
    await writeFile(join(tree, 'lib/modules/6.1.0-test/kernel/fs/b.ko.xz'), 'b');
    await writeFile(join(tree, 'lib/modules/6.1.0-test/modules.dep'), '');
    await symlink('../lib', join(tree, 'lib/modules/6.1.0-test/build'));
    const file = join(work, 'initrd.zst');
    await packCpio({ input: { directory: tree }, output: file, compress: 'zstd', sourceDateEpoch: 1_700_000_000 });
    const text = await inspectText(file);
    expect(text.split('\n')[0]).toMatch(/: cpio archive \(initramfs\), zstd-compressed, /);
    expect(fact(text, 'compression')).toBe('zstd');
    expect(fact(text, 'init')).toBe(`/init (script for /bin/sh, ${init.length} B)`);
    expect(fact(text, 'kernel modules')).toBe('2 for 6.1.0-test');
    const files = block(text, 'Files (');
    expectAligned(files, ['path'], ['size']);
    expect(files).toContain(`  -rwxr-xr-x  ${init.length} B  /init`);
    expect(files).toContain('  lrwxrwxrwx   6 B  /lib/modules/6.1.0-test/build -> ../lib');
  });
});

describe('packages', () => {
  it('an RPM: name, version, licence, dependencies (without rpmlib), scripts, signatures, the file table', async () => {
    const text = await inspectText(resolve(import.meta.dirname, '../../rpm-extract/test/corpus/hello-2.0-1.i686.rpm'));
    expect(fact(text, 'name')).toBe('hello');
    expect(fact(text, 'version')).toBe('2.0-1');
    expect(fact(text, 'architecture')).toBe('i686');
    expect(fact(text, 'licence')).toBe('GPL');
    expect(fact(text, 'requires')).not.toContain('rpmlib(');
    expect(fact(text, 'requires')).toContain('libc.so.6');
    expect(fact(text, 'scripts')).toBe('none');
    const files = block(text, 'Files (5)');
    expectAligned(files, ['path'], ['size']);
    expect(files).toContain('  -rwxr-x--x  6.3 KiB  /usr/bin/hello');
  });

  it('a .deb built by dpkg-deb: its control fields and its files', async () => {
    const tree = join(work, 'deb-tree');
    await mkdir(join(tree, 'DEBIAN'), { recursive: true });
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await writeFile(
      join(tree, 'DEBIAN/control'),
      'Package: inspected\nVersion: 2.1-3\nArchitecture: all\nMaintainer: t <t@example.org>\nInstalled-Size: 4\nDepends: libc6 (>= 2.36), zlib1g | libz\nDescription: a package to inspect\n more text\n',
    );
    await writeFile(join(tree, 'usr/bin/hello'), 'echo hello\n', { mode: 0o755 });
    await writeFile(join(tree, 'DEBIAN/postinst'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await writeFile(join(tree, 'DEBIAN/prerm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/inspected.conf'), 'x=1\n');
    await writeFile(join(tree, 'DEBIAN/conffiles'), '/etc/inspected.conf\n');
    // A machine-readable (DEP-5) copyright file: the licence of its Files paragraphs.
    await mkdir(join(tree, 'usr/share/doc/inspected'), { recursive: true });
    await writeFile(
      join(tree, 'usr/share/doc/inspected/copyright'),
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: inspected\n\nFiles: *\nCopyright: 2024 t\nLicense: GPL-2+\n\nFiles: lib/*\nCopyright: 2024 t\nLicense: MIT\n\nLicense: GPL-2+\n text\n',
    );
    const file = join(work, 'inspected.deb');
    await execa('dpkg-deb', ['--root-owner-group', '--build', tree, file]);
    const text = await inspectText(file);
    expect(text.split('\n')[0]).toBe(`${file}: Debian package, inspected 2.1-3 all`);
    expect(fact(text, 'depends')).toBe('libc6 (>= 2.36), zlib1g | libz');
    expect(fact(text, 'installed size')).toBe('4.0 KiB');
    // dpkg-deb's own listing of the control archive names the same scripts.
    const info = (await execa('dpkg-deb', ['--info', file])).stdout;
    const scripts = ['preinst', 'postinst', 'prerm', 'postrm'].filter((s) => new RegExp(`\\s${s}\\s`).test(info));
    expect(scripts).toEqual(['postinst', 'prerm']);
    expect(fact(text, 'scripts')).toBe(scripts.join(', '));
    expect(fact(text, 'conffiles')).toBe('/etc/inspected.conf');
    expect(fact(text, 'licence')).toBe('GPL-2+ AND MIT');
    const files = block(text, 'Files (');
    expectAligned(files, ['path'], ['size']);
    expect(cells(files.find((l) => l.endsWith(' /usr/bin/hello')))).toEqual(['-rwxr-xr-x', '11 B', '/usr/bin/hello']);
  });

  it("a pacman package and its sync database, as pacman's own listing says", async () => {
    const generated = await generatePacmanTestRepo(join(repoRoot, '.cache', 'pacman-test-repo', 'repo'));
    const app = generated.packages.find((p) => p.name === 'app');
    if (!app) throw new Error('no app package');
    const extra = join(generated.dir, 'extra');
    const pkgFile = join(
      extra,
      (await readdir(extra)).find((f) => f.startsWith('app-') && f.endsWith('.pkg.tar.zst')) as string,
    );
    const copy = join(work, 'app.pkg.tar.zst');
    await copyFile(pkgFile, copy);
    const text = await inspectText(copy);
    const info = Object.fromEntries(
      (await execa('pacman', ['-Qip', copy], { env: { LC_ALL: 'C' } })).stdout
        .split('\n')
        .map((l) => /^(\w[\w ]*?)\s*: (.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    ) as Record<string, string>;
    expect(fact(text, 'name')).toBe(info.Name);
    expect(fact(text, 'version')).toBe(info.Version);
    expect(fact(text, 'licence')).toBe(
      info.Licenses === 'None' ? 'not declared' : info.Licenses?.split(/ {2}/).join(', '),
    );
    expect(fact(text, 'depends')).toBe(
      info['Depends On'] === 'None' ? 'nothing' : info['Depends On']?.split(/ {2}/).join(', '),
    );
    const db = generated.repos.find((r) => r.name === 'extra');
    if (!db) throw new Error('no extra repository');
    const dbText = await inspectText(db.db);
    const names = generated.packages.filter((p) => p.repo === 'extra').map((p) => p.name);
    expect(fact(dbText, 'packages')).toBe(String(names.length));
    const rows = block(dbText, `Packages (${names.length})`);
    expectAligned(rows, ['version', 'arch'], ['size', 'installed']);
    expect(rows.slice(1).map((r) => r.trim().split(/\s+/)[0])).toEqual([...names].sort());
  });
});
