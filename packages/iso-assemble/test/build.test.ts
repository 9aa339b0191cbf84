// Builds real ISOs (no boot): byte-reproducibility, the .sha256 file, inspectIso against bsdtar
// and mtools as oracles, and the ESP's content.
import { execa } from 'execa';
import { copyFile, mkdtemp, open, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleIso, inspectIso, type AssembledIso, type AssembleIsoOptions } from '@distroforge/iso-assemble';
import { debianKernel, markerInitramfs } from './fixtures.js';

let work: string;
let common: AssembleIsoOptions;
let first: AssembledIso;
let secure: AssembledIso;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'iso-assemble-build-'));
  const initrd = await markerInitramfs(work);
  const rootImage = join(work, 'root.squashfs');
  await writeFile(rootImage, Buffer.alloc(3 * 4096, 7));
  const extra = join(work, 'README.txt');
  await writeFile(extra, 'hello\n');
  common = {
    output: join(work, 'a/live.iso'),
    label: 'DFBUILD',
    kernel: await debianKernel(),
    initrd,
    rootImage,
    extraFiles: [{ source: extra, path: '/README.txt' }],
    kernelArgs: ['boot=live'],
    sourceDateEpoch: 1_700_000_000,
  };
  first = await assembleIso(common);
  secure = await assembleIso({ ...common, output: join(work, 'sb/live.iso'), secureBoot: true });
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('reproducibility', () => {
  it('gives byte-identical ISOs from another directory, with other input mtimes and paths', async () => {
    const moved = join(work, 'moved');
    await execa('mkdir', ['-p', moved]);
    const kernel = join(moved, 'vmlinuz');
    const initrd = join(moved, 'initrd');
    await copyFile(common.kernel, kernel);
    await copyFile(common.initrd, initrd);
    await utimes(kernel, 1234567890, 1234567890);
    const second = await assembleIso({ ...common, kernel, initrd, output: join(work, 'b/other-name.iso') });
    expect(second.sha256).toBe(first.sha256);
    expect(Buffer.compare(await readFile(second.path), await readFile(first.path))).toBe(0);
    const secureAgain = await assembleIso({
      ...common,
      kernel,
      initrd,
      output: join(work, 'sb2/live.iso'),
      secureBoot: true,
    });
    expect(secureAgain.sha256).toBe(secure.sha256);
  }, 300_000);

  it('changes when the epoch changes (dates are really taken from it)', async () => {
    const other = await assembleIso({ ...common, output: join(work, 'c/live.iso'), sourceDateEpoch: 1_700_000_001 });
    expect(other.sha256).not.toBe(first.sha256);
    expect(other.esp?.serial).toBe(first.esp?.serial);
    // GPT GUIDs come from the content, not the date: equal here, different for other content.
    const guid = async (path: string) => (await inspectIso(path)).systemArea.gpt?.diskGuid;
    expect(await guid(other.path)).toBe(await guid(first.path));
    expect(await guid(secure.path)).not.toBe(await guid(first.path));
    expect(await guid(first.path)).toMatch(/^[0-9a-f]{14}4[0-9a-f][89ab][0-9a-f]{15}$/);
  }, 300_000);

  it('takes SOURCE_DATE_EPOCH from the environment when no epoch is given', async () => {
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      const { sourceDateEpoch: _, ...rest } = common;
      const fromEnv = await assembleIso({ ...rest, output: join(work, 'd/live.iso') });
      expect(fromEnv.sourceDateEpoch).toBe(1_700_000_000);
      expect(fromEnv.sha256).toBe(first.sha256);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  }, 300_000);

  it('writes <iso>.sha256 that sha256sum -c accepts, and leaves no temporary files', async () => {
    expect(first.sha256File).toBe(`${first.path}.sha256`);
    expect(first.rootImage).toEqual({ isoPath: '/live/filesystem.squashfs', size: 3 * 4096 });
    const { stdout } = await execa('sha256sum', ['-c', 'live.iso.sha256'], { cwd: join(work, 'a') });
    expect(stdout).toBe('live.iso: OK');
    expect((await readdir(join(work, 'a'))).sort()).toEqual(['live.iso', 'live.iso.log', 'live.iso.sha256']);
  });
});

describe('inspectIso', () => {
  it('lists the files as bsdtar does, with sizes', async () => {
    const inspection = await inspectIso(first.path);
    const paths = inspection.files.map((f) => f.path.slice(1)).filter((p) => p !== '');
    const { stdout } = await execa('bsdtar', ['-tf', first.path]);
    const oracle = stdout.split('\n').filter((line) => line !== '' && line !== '.');
    expect(paths.sort()).toEqual(oracle.sort());
    const files = inspection.files.filter((f) => f.type === 'file').map((f) => f.path.slice(1));
    expect(inspection.files.find((f) => f.path === '/boot/grub/boot.cat')?.type).toBe('boot-catalog');
    expect(files).toEqual(
      expect.arrayContaining([
        '.disk/info',
        'boot/grub/grub.cfg',
        'boot/grub/i386-pc/eltorito.img',
        'live/vmlinuz',
        'live/initrd.img',
        'live/filesystem.squashfs',
        'README.txt',
      ]),
    );
    const kernel = inspection.files.find((f) => f.path === '/live/vmlinuz');
    expect(kernel?.size).toBe((await readFile(common.kernel)).length);
    expect(inspection.volumeId).toBe('DFBUILD');
    expect(inspection.creationTime).toBe('2023111422132000');
  });

  it('reports the BIOS and UEFI El Torito entries and the GPT with the ESP', async () => {
    const inspection = await inspectIso(secure.path);
    expect(inspection.elTorito.catalogPath).toBe('/boot/grub/boot.cat');
    expect(inspection.elTorito.entries.map((e) => [e.platform, e.bootable, e.emulation])).toEqual([
      ['BIOS', true, 'none'],
      ['UEFI', true, 'none'],
    ]);
    expect(inspection.elTorito.entries[0]?.imagePath).toBe('/boot/grub/i386-pc/eltorito.img');
    expect(inspection.elTorito.entries[0]?.options).toContain('grub2-boot-info');
    expect(inspection.systemArea.summary).toContain('grub2-mbr');
    expect(inspection.systemArea.summary).toContain('GPT');
    // C12A7328-F81F-11D2-BA4B-00A0C93EC93B, the EFI system partition type, as stored on disk.
    const esp = inspection.systemArea.gpt?.partitions.find((p) => p.typeGuid === '28732ac11ff8d211ba4b00a0c93ec93b');
    expect(esp?.size).toBe((secure.esp?.size ?? 0) / 512);
    expect(inspection.systemArea.mbr.length).toBeGreaterThan(0);
  });

  it('exposes an ESP that mtools reads: shim, signed GRUB, MokManager, stub configs, no fallback loader', async () => {
    const inspection = await inspectIso(secure.path);
    const esp = inspection.systemArea.gpt?.partitions.find((p) => p.typeGuid === '28732ac11ff8d211ba4b00a0c93ec93b');
    if (!esp) throw new Error('no ESP');
    const image = join(work, 'esp.img');
    const handle = await open(secure.path, 'r');
    const bytes = Buffer.alloc(esp.size * 512);
    await handle.read(bytes, 0, bytes.length, esp.start * 512);
    await handle.close();
    await writeFile(image, bytes);
    const { stdout } = await execa('mdir', ['-/', '-b', '-i', image, '::'], { env: { MTOOLS_SKIP_CHECK: '1' } });
    expect(
      stdout
        .split('\n')
        .filter((l) => !l.endsWith('/'))
        .sort(),
    ).toEqual(
      [
        '::/EFI/BOOT/BOOTX64.EFI',
        '::/EFI/BOOT/grub.cfg',
        '::/EFI/BOOT/grubx64.efi',
        '::/EFI/BOOT/mmx64.efi',
        '::/boot/grub/grub.cfg',
      ].sort(),
    );
    const shim = await execa('mtype', ['-i', image, '::/EFI/BOOT/BOOTX64.EFI'], {
      encoding: 'buffer',
      env: { MTOOLS_SKIP_CHECK: '1' },
    });
    expect(Buffer.compare(Buffer.from(shim.stdout), await readFile('/usr/lib/shim/shimx64.efi.signed'))).toBe(0);
    const stub = await execa('mtype', ['-i', image, '::/boot/grub/grub.cfg'], { env: { MTOOLS_SKIP_CHECK: '1' } });
    expect(stub.stdout).toContain("search --no-floppy --set=root --label 'DFBUILD'");
    const fsck = await execa('fsck.vfat', ['-n', image], { reject: false });
    expect(fsck.exitCode).toBe(0);
  });
});

describe('boot piece cache (cacheDir)', () => {
  it('gives the same ISO bytes from a cold and a warm cache, and rebuilds a piece whose input changed', async () => {
    const cacheDir = join(work, 'boot-cache');
    const cold = await assembleIso({ ...common, output: join(work, 'cache-cold/live.iso'), cacheDir });
    const names = (await readdir(cacheDir))
      .filter((n) => !n.endsWith('.json'))
      .map((n) => n.replace(/-[0-9a-f]{32}$/, ''))
      .sort();
    expect(names).toEqual(['esp', 'grub-i386-pc-eltorito', 'grub-x86_64-efi']);
    const warm = await assembleIso({ ...common, output: join(work, 'cache-warm/live.iso'), cacheDir });
    expect(cold.sha256).toBe(first.sha256);
    expect(warm.sha256).toBe(first.sha256);
    // Another label is another GRUB search config: new entries, and the same bytes as without a cache.
    const relabelled = await assembleIso({
      ...common,
      label: 'DFOTHER',
      output: join(work, 'cache-label/live.iso'),
      cacheDir,
    });
    const uncached = await assembleIso({ ...common, label: 'DFOTHER', output: join(work, 'nocache-label/live.iso') });
    expect(relabelled.sha256).toBe(uncached.sha256);
    expect((await readdir(cacheDir)).filter((n) => n.endsWith('.json'))).toHaveLength(6);
  }, 300_000);
});

describe('single-firmware images', () => {
  it('UEFI only: one UEFI El Torito entry, GPT with the ISO 9660 partition and the ESP, no GRUB MBR', async () => {
    const iso = await assembleIso({ ...common, output: join(work, 'uefi-only/live.iso'), bios: false });
    const inside = await inspectIso(iso.path);
    expect(inside.elTorito.entries.map((e) => e.platform)).toEqual(['UEFI']);
    expect(inside.systemArea.summary).not.toContain('grub2-mbr');
    expect(inside.systemArea.gpt?.partitions.map((p) => p.name).slice(0, 2)).toEqual(['ISO9660', 'Appended2']);
    expect(inside.files.some((f) => f.path === '/boot/grub/i386-pc/eltorito.img')).toBe(false);
  }, 120_000);

  it('BIOS only: one BIOS El Torito entry, GRUB hybrid MBR, no ESP and no GPT', async () => {
    const iso = await assembleIso({ ...common, output: join(work, 'bios-only/live.iso'), uefi: false });
    expect(iso.esp).toBeUndefined();
    const inside = await inspectIso(iso.path);
    expect(inside.elTorito.entries.map((e) => e.platform)).toEqual(['BIOS']);
    expect(inside.systemArea.summary).toContain('grub2-mbr');
    expect(inside.systemArea.gpt).toBeUndefined();
  }, 120_000);
});
