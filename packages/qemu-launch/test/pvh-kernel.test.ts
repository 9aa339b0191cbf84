import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pvhKernel } from '@distroforge/qemu-launch';

// Synthetic bzImages: a boot protocol header and a compressed payload holding a small x86-64 ELF,
// with or without the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pvh-kernel-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An ELF64 x86-64 executable with one PT_NOTE segment holding `notes`, then `filler` bytes. */
function elf(notes: { name: string; type: number; desc: Buffer }[], filler = 'kernel text'): Buffer {
  const noteBytes = Buffer.concat(
    notes.map((n) => {
      const name = Buffer.from(`${n.name}\0`);
      const head = Buffer.alloc(12);
      head.writeUInt32LE(name.length, 0);
      head.writeUInt32LE(n.desc.length, 4);
      head.writeUInt32LE(n.type, 8);
      return Buffer.concat([head, pad4(name), pad4(n.desc)]);
    }),
  );
  const header = Buffer.alloc(64 + 56);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(62, 18); // EM_X86_64
  header.writeBigUInt64LE(64n, 32); // e_phoff
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  header.writeUInt16LE(1, 56);
  header.writeUInt32LE(4, 64); // PT_NOTE
  header.writeBigUInt64LE(120n, 64 + 8);
  header.writeBigUInt64LE(BigInt(noteBytes.length), 64 + 32);
  return Buffer.concat([header, noteBytes, Buffer.from(filler.repeat(100))]);
}
const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
const pvhNote = { name: 'Xen', type: 18, desc: Buffer.from([0x50, 0x08, 0x00, 0x01]) };
const otherXenNote = { name: 'Xen', type: 6, desc: Buffer.from('linux\0') };
const gnuNote = { name: 'GNU', type: 18, desc: Buffer.alloc(4) }; // type 18 but not Xen's

/** The kernel's size_append: the uncompressed size, little-endian, after the compressed data. */
const sizeAppended = (compressed: Buffer, size: number) => {
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(size);
  return Buffer.concat([compressed, tail]);
};
async function compress(tool: 'xz' | 'zstd' | 'lz4', data: Buffer): Promise<Buffer> {
  const args = { xz: ['-c', '--check=crc32'], zstd: ['-c', '-q'], lz4: ['-l', '-c'] }[tool];
  const { stdout } = await execa(tool, args, { input: data, encoding: 'buffer', stripFinalNewline: false });
  return sizeAppended(Buffer.from(stdout), data.length);
}

/**
 * A bzImage: boot sector + `setupSectors` setup sectors with the header, then the protected-mode
 * code, which holds `before` (a decoy) ahead of the payload at `payload_offset`.
 */
function bzImage(payload: Buffer, o: { version?: number; setupSectors?: number; before?: Buffer } = {}): Buffer {
  const setupSectors = o.setupSectors ?? 3;
  const setup = Buffer.alloc(((setupSectors || 4) + 1) * 512); // 0 means 4 (boot protocol)
  setup[0x1f1] = setupSectors;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(o.version ?? 0x20f, 0x206);
  const before = Buffer.concat([Buffer.from('decompressor code'), o.before ?? Buffer.alloc(0)]);
  setup.writeUInt32LE(before.length, 0x248);
  setup.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([setup, before, payload, Buffer.from('trailing setup data')]);
}

async function kernelFile(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('pvhKernel', () => {
  it('extracts the ELF kernel of an xz bzImage once and boots it through PVH, cached by digest', async () => {
    const vmlinux = elf([otherXenNote, pvhNote]);
    const file = await kernelFile('xz.bzImage', bzImage(await compress('xz', vmlinux)));
    const cache = join(dir, 'cache-xz');
    const first = await pvhKernel(file, cache);
    expect(first).toMatchObject({ entry: 'pvh', from: file, compressor: 'xz', cached: false });
    if (first.entry !== 'pvh') throw new Error('unreachable');
    expect(await readFile(first.kernel)).toEqual(vmlinux);
    const again = await pvhKernel(file, cache);
    expect(again).toEqual({ ...first, cached: true });
    expect((await readdir(cache)).filter((n) => !n.endsWith('.vmlinux'))).toEqual([]);
  });

  it('reads gzip (no size trailer) and zstd payloads', async () => {
    const vmlinux = elf([pvhNote], 'gzip and zstd');
    for (const [name, payload] of [
      ['gzip', gzipSync(vmlinux)],
      ['zstd', await compress('zstd', vmlinux)],
    ] as const) {
      const boot = await pvhKernel(await kernelFile(`${name}.bzImage`, bzImage(payload)), join(dir, `cache-${name}`));
      expect(boot).toMatchObject({ entry: 'pvh', compressor: name });
      expect(await readFile(boot.kernel)).toEqual(vmlinux);
    }
  });

  it('finds the payload through the header, not by its magic: an earlier compressed ELF is ignored', async () => {
    const decoy = gzipSync(elf([gnuNote], 'the decoy'));
    const vmlinux = elf([pvhNote], 'the real kernel');
    const file = await kernelFile('decoy.bzImage', bzImage(gzipSync(vmlinux), { before: decoy, setupSectors: 0 }));
    const boot = await pvhKernel(file, join(dir, 'cache-decoy'));
    expect(boot.entry).toBe('pvh');
    expect(await readFile(boot.kernel)).toEqual(vmlinux);
  });

  it('boots the bzImage as given when the ELF has no PVH entry note, and remembers that', async () => {
    const file = await kernelFile('nopvh.bzImage', bzImage(await compress('xz', elf([otherXenNote, gnuNote]))));
    const cache = join(dir, 'cache-nopvh');
    const expected = { entry: 'as-given', kernel: file, reason: 'the kernel has no PVH entry note (CONFIG_PVH off)' };
    expect(await pvhKernel(file, cache)).toEqual(expected);
    expect((await readdir(cache)).map((n) => n.split('.').pop())).toEqual(['refused']);
    expect(await pvhKernel(file, cache)).toEqual(expected);
  });

  it('says why for payloads and files it does not boot through PVH', async () => {
    const cache = join(dir, 'cache-refusals');
    const vmlinux = elf([pvhNote]);
    const cases: [string, Buffer, RegExp][] = [
      ['lz4', bzImage(await compress('lz4', vmlinux)), /^payload format 02214c18 not read/],
      ['not-elf', bzImage(gzipSync(Buffer.from('not an ELF at all'))), /not an ELF kernel/],
      ['old', bzImage(gzipSync(vmlinux), { version: 0x206 }), /boot protocol 2\.06 has no payload fields/],
      ['plain-elf', vmlinux, /not a bzImage/],
      ['cut', bzImage(gzipSync(vmlinux)).subarray(0, 2100), /outside the file/],
    ];
    for (const [name, bytes, reason] of cases) {
      const file = await kernelFile(`${name}.bzImage`, bytes);
      const boot = await pvhKernel(file, cache);
      expect(boot.entry, name).toBe('as-given');
      expect(boot.kernel).toBe(file);
      if (boot.entry === 'as-given') expect(boot.reason, name).toMatch(reason);
    }
  });

  it('falls back to the bzImage when the payload is damaged', async () => {
    const payload = await compress('xz', elf([pvhNote]));
    payload.fill(0x55, 40, 80);
    const boot = await pvhKernel(await kernelFile('damaged.bzImage', bzImage(payload)), join(dir, 'cache-damaged'));
    expect(boot).toMatchObject({ entry: 'as-given' });
    if (boot.entry === 'as-given') expect(boot.reason).toMatch(/^extracting the kernel failed: /);
    expect(await readdir(join(dir, 'cache-damaged'))).toEqual([]);
  });

  it('keeps the four most recently booted kernels', async () => {
    const cache = join(dir, 'cache-prune');
    const kept: string[] = [];
    for (let i = 0; i < 6; i++) {
      const file = await kernelFile(`k${i}.bzImage`, bzImage(gzipSync(elf([pvhNote], `kernel ${i}`))));
      kept.push((await pvhKernel(file, cache)).kernel);
      // mtimes apart, so which is most recent does not hang on the file system's time resolution
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await readdir(cache)).map((n) => join(cache, n)).sort()).toEqual(kept.slice(2).sort());
  });
});
