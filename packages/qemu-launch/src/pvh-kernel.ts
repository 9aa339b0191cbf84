import {
  decompress,
  distroforgeCacheRoot,
  leastRecentlyUsed,
  sniffCompressor,
  writeAtomically,
  type Compressor,
} from '@distroforge/core';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How a direct boot starts the kernel it was given. */
export type KernelBoot =
  | {
      /** QEMU loads the uncompressed ELF kernel and enters it at its PVH entry point. */
      entry: 'pvh';
      /** The ELF kernel extracted from the bzImage (in the cache). */
      kernel: string;
      /** The bzImage it came from. */
      from: string;
      /** The payload's compressor. */
      compressor: Compressor;
      /** True when an earlier boot had extracted it already. */
      cached: boolean;
    }
  | {
      /** The kernel file as given (a bzImage decompresses itself, or anything QEMU boots as is). */
      entry: 'as-given';
      kernel: string;
      /** Why the PVH entry is not used. */
      reason: string;
    };

/** Extracted kernels kept in the cache (the most recently booted ones; ~60 MB each for Debian's). */
const KEEP = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit physical entry point of the PVH boot protocol. */
const PHYS32_ENTRY_NOTE = 18;

/** The default cache of extracted kernels: `$XDG_CACHE_HOME/distroforge/pvh-kernels` (or `~/.cache/...`). */
export function defaultKernelCache(): string {
  return join(distroforgeCacheRoot(), 'pvh-kernels');
}

/**
 * The kernel to boot through its PVH entry instead of the bzImage `kernel`: the ELF image inside it,
 * extracted once and cached by the bzImage's digest. Under TCG a bzImage's self-decompression takes
 * seconds (an xz-compressed Debian kernel ~10 s); QEMU's `-kernel` boots an ELF kernel with a PVH
 * note (CONFIG_PVH) directly, so that time is gone.
 *
 * The payload is located as the boot protocol (>= 2.08) describes it (`payload_offset` and
 * `payload_length` after the setup sectors), its compressor sniffed from its magic, decompressed,
 * and the result accepted only if it is an x86-64 ELF with the PVH entry note. Anything else is
 * `as-given` with the reason: not a bzImage, an older protocol, a payload format distroforge does not
 * read (lz4, lzo), no PVH note. A failure to write the cache falls back the same way.
 */
export async function pvhKernel(kernel: string, cacheDir: string = defaultKernelCache()): Promise<KernelBoot> {
  const asGiven = (reason: string): KernelBoot => ({ entry: 'as-given', kernel, reason });
  const image = await readFile(kernel);
  const digest = createHash('sha256').update(image).digest('hex');
  const cached = join(cacheDir, `${digest}.vmlinux`);
  const refused = join(cacheDir, `${digest}.refused`);
  const payload = bzImagePayload(image);
  if (typeof payload === 'string') return asGiven(payload);
  const { compressor } = payload;
  if (await touch(cached)) return { entry: 'pvh', kernel: cached, from: kernel, compressor, cached: true };
  const known = await readFile(refused, 'utf8').catch(() => undefined);
  if (known !== undefined) return asGiven(known);
  try {
    await mkdir(cacheDir, { recursive: true });
    const verdict = await writeAtomically(cached, async (temp) => {
      const elf = await inflate(payload.bytes, compressor, kernel);
      const problem = pvhProblem(elf);
      if (problem !== undefined) throw new NoPvh(problem);
      await writeFile(temp, elf);
    }).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof NoPvh) return error.message;
        throw error;
      },
    );
    if (verdict !== undefined) {
      // Remembered, so the next boot of this kernel does not decompress it again to learn the same.
      await writeFile(refused, verdict);
      await prune(cacheDir);
      return asGiven(verdict);
    }
    await prune(cacheDir);
    return { entry: 'pvh', kernel: cached, from: kernel, compressor, cached: false };
  } catch (error) {
    return asGiven(`extracting the kernel failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

class NoPvh extends Error {}

/** The compressed kernel inside a bzImage, or why there is none to read. */
export function bzImagePayload(image: Buffer): { bytes: Buffer; compressor: Compressor } | string {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS')
    return 'not a bzImage (no boot protocol header)';
  const version = image.readUInt16LE(0x206);
  if (version < 0x208)
    return `boot protocol ${version >> 8}.${String(version & 0xff).padStart(2, '0')} has no payload fields (2.08+)`;
  // setup_sects 0 means 4 (boot protocol); the protected-mode part starts after the boot sector and them.
  const setupSectors = image[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const length = image.readUInt32LE(0x24c);
  if (length < 8 || start + length > image.length) return 'the payload lies outside the file';
  let bytes = image.subarray(start, start + length);
  const compressor = sniffCompressor(bytes);
  if (compressor === undefined) return `payload format ${bytes.subarray(0, 4).toString('hex')} not read (lz4 or lzo)`;
  // Every format but gzip (whose trailer holds it) is followed by the uncompressed size (size_append).
  if (compressor !== 'gzip') bytes = bytes.subarray(0, bytes.length - 4);
  return { bytes, compressor };
}

async function inflate(bytes: Buffer, compressor: Compressor, origin: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of decompress([bytes], compressor, { origin, singleStream: true })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Why `elf` cannot be booted through PVH, or undefined when it can (x86-64 ELF with the entry note). */
export function pvhProblem(elf: Buffer): string | undefined {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) return 'the payload is not an ELF kernel';
  if (elf[4] !== 2 || elf[5] !== 1 || elf.readUInt16LE(18) !== 62) return 'the payload is not a 64-bit x86 ELF';
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const end = Math.min(elf.length, offset + Number(elf.readBigUInt64LE(ph + 32)));
    for (let n = offset; n + 12 <= end; ) {
      const nameSize = elf.readUInt32LE(n);
      const descSize = elf.readUInt32LE(n + 4);
      const type = elf.readUInt32LE(n + 8);
      const name = elf.toString('latin1', n + 12, n + 12 + nameSize).replace(/\0+$/, '');
      if (name === 'Xen' && type === PHYS32_ENTRY_NOTE) return undefined;
      n += 12 + align4(nameSize) + align4(descSize);
    }
  }
  return 'the kernel has no PVH entry note (CONFIG_PVH off)';
}

const align4 = (n: number) => (n + 3) & ~3;

/** Marks a cache entry used (its mtime); false when it does not exist. */
async function touch(path: string): Promise<boolean> {
  const now = new Date();
  return utimes(path, now, now).then(
    () => true,
    () => false,
  );
}

async function prune(cacheDir: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const entries = (suffix: string) => names.filter((n) => n.endsWith(suffix)).map((n) => join(cacheDir, n));
  const old = [
    ...(await leastRecentlyUsed(entries('.vmlinux'), KEEP)),
    ...(await leastRecentlyUsed(entries('.refused'), 4 * KEEP)),
  ];
  await Promise.all(old.map((path) => rm(path, { force: true })));
}
