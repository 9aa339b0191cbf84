import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { parseOptions } from '@distroforge/core';
import type { Compression } from './compress.js';
import { InitramfsCompressionUnsupportedError, invalidOptions, KernelConfigError } from './errors.js';

/** The compressions the writer produces that a kernel may unpack, in `CONFIG_RD_*` spelling. */
export type InitramfsCompression = Exclude<Compression, 'none'>;

/**
 * The preference and the level for each, chosen by measured build time plus boot time of the live
 * initramfs of Debian's kernel (26 MB of cpio, mostly modules) under TCG: see the README's
 * "Choosing the compression" and `tools/bench/initramfs-compression.mjs`. zstd is the cheapest on
 * both sides; gzip -6 builds ~6x faster than gzip -9 for 1.5% more bytes and boots as fast; xz is
 * the smallest but costs more to build than it saves at boot, so it is only taken when the kernel
 * has no gzip.
 */
export const INITRAMFS_COMPRESSION_PREFERENCE: readonly { compress: InitramfsCompression; level: number }[] = [
  { compress: 'zstd', level: 3 },
  { compress: 'gzip', level: 6 },
  { compress: 'xz', level: 6 },
];

/** What the kernel config fallback gives when no config can be found: every usual kernel reads gzip. */
export const INITRAMFS_FALLBACK = { compress: 'gzip', level: 6 } as const satisfies {
  compress: InitramfsCompression;
  level: number;
};

export interface InitramfsCompressionChoice {
  compress: InitramfsCompression;
  level: number;
  /** The config file the choice was read from; undefined when none was found (the gzip fallback). */
  config: string | undefined;
  /** The `CONFIG_RD_*` decompressors the config enables (`['GZIP', 'XZ', 'ZSTD', ...]`); empty without a config. */
  supported: string[];
  /** One line saying why, for logs. */
  reason: string;
}

export const chooseInitramfsCompressionOptionsSchema = z
  .object({
    /** The root filesystem the kernel is installed in (searched as below). */
    root: z.string().min(1).optional(),
    /** The kernel version (`lib/modules/<version>`); needed with `root`. */
    version: z.string().min(1).optional(),
    /** A kernel config file to use instead of searching (plain or gzip, e.g. a copy of /proc/config.gz). */
    config: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => o.config !== undefined || (o.root !== undefined && o.version !== undefined), {
    message: 'pass config, or root and version',
  });
export type ChooseInitramfsCompressionOptions = z.input<typeof chooseInitramfsCompressionOptionsSchema>;

/**
 * Where the config of kernel `version` is looked for under `root`, in this order: `boot/config-V`
 * (Debian, Ubuntu, SUSE, Fedora's installed copy), `usr/lib/modules/V/config` and
 * `lib/modules/V/config` (Fedora/RHEL's kernel-core ships it there), then the headers' `.config`
 * (`usr/lib/modules/V/build/.config`, `lib/modules/V/build/.config`; Arch).
 */
export function kernelConfigCandidates(root: string, version: string): string[] {
  return [
    join(root, 'boot', `config-${version}`),
    join(root, 'usr/lib/modules', version, 'config'),
    join(root, 'lib/modules', version, 'config'),
    join(root, 'usr/lib/modules', version, 'build/.config'),
    join(root, 'lib/modules', version, 'build/.config'),
  ];
}

/** `CONFIG_X=value` lines into a map (`y`, `m`, a string...); `# CONFIG_X is not set` gives `n`. */
export function parseKernelConfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
    if (set) options.set(set[1]!, set[2]!);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line.trim());
    if (unset) options.set(unset[1]!, 'n');
  }
  return options;
}

/**
 * Picks the compression from a parsed config: the first of `INITRAMFS_COMPRESSION_PREFERENCE`
 * whose `CONFIG_RD_*` is `y`. `source` names the config in messages.
 * @throws InitramfsCompressionUnsupportedError without CONFIG_BLK_DEV_INITRD=y, or when the kernel
 *   unpacks none of gzip, xz and zstd (e.g. only LZ4).
 */
export function initramfsCompressionFromConfig(
  config: ReadonlyMap<string, string>,
  source: string,
): InitramfsCompressionChoice {
  const supported = [...config]
    .filter(([key, value]) => key.startsWith('CONFIG_RD_') && value === 'y')
    .map(([key]) => key.slice('CONFIG_RD_'.length))
    .sort();
  if (config.get('CONFIG_BLK_DEV_INITRD') !== 'y')
    throw new InitramfsCompressionUnsupportedError(source, supported, false);
  const pick = INITRAMFS_COMPRESSION_PREFERENCE.find((p) => supported.includes(p.compress.toUpperCase()));
  if (!pick) throw new InitramfsCompressionUnsupportedError(source, supported, true);
  return {
    ...pick,
    config: source,
    supported,
    reason: `${source}: CONFIG_RD_${pick.compress.toUpperCase()}=y -> ${pick.compress} -${pick.level}`,
  };
}

/**
 * Chooses the initramfs compression for a kernel from its config: zstd when it has
 * CONFIG_RD_ZSTD=y, else gzip, else xz (see `INITRAMFS_COMPRESSION_PREFERENCE` for why in that
 * order), each at its measured level. The config is `config` if given (it must exist), else the
 * first of `kernelConfigCandidates(root, version)` that exists; when none does, the documented
 * fallback `INITRAMFS_FALLBACK` (gzip -6) with `config: undefined`.
 * @throws InitramfsCompressionUnsupportedError (ERR_INITRAMFS_COMPRESSION_UNSUPPORTED) when the
 *   config shows the kernel cannot unpack any of them, KernelConfigError (ERR_KERNEL_CONFIG) when
 *   the config given cannot be read or a file found is not a kernel config.
 */
export async function chooseInitramfsCompression(
  options: ChooseInitramfsCompressionOptions,
): Promise<InitramfsCompressionChoice> {
  const { root, version, config } = parseOptions(
    chooseInitramfsCompressionOptionsSchema,
    options,
    invalidOptions('chooseInitramfsCompression'),
  );
  const candidates = config !== undefined ? [config] : kernelConfigCandidates(root!, version!);
  for (const candidate of candidates) {
    let bytes: Buffer;
    try {
      bytes = await readFile(candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (config === undefined && (code === 'ENOENT' || code === 'ENOTDIR')) continue;
      throw new KernelConfigError(candidate, `cannot read it (${code ?? (error as Error).message})`, error);
    }
    return initramfsCompressionFromConfig(readConfigText(bytes, candidate), candidate);
  }
  return {
    ...INITRAMFS_FALLBACK,
    config: undefined,
    supported: [],
    reason: `no kernel config found (looked for ${candidates.join(', ')}) -> ${INITRAMFS_FALLBACK.compress} -${INITRAMFS_FALLBACK.level}, the fallback`,
  };
}

function readConfigText(bytes: Buffer, path: string): Map<string, string> {
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new KernelConfigError(path, 'damaged gzip data', error);
  }
  const parsed = parseKernelConfig(text);
  if (parsed.size === 0) throw new KernelConfigError(path, 'not a kernel config (no CONFIG_ lines)');
  return parsed;
}
