import { emptyManifest, parseOptions, sourceDateEpoch, writeAtomically } from '@distroforge/core';
import { stat, writeFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidOptions, SquashfsError } from './errors.js';
import { excludeMatcher } from './exclude-match.js';
import { createSquashfsOptionsSchema, presets, type Compression, type CreateSquashfsOptions } from './options.js';
import { planPseudoDefinitions } from './pseudo-definitions.js';
import { ProgressParser } from './progress-parser.js';
import { runLogged } from '@distroforge/core';
import { squashfsLogOptions } from './tool-log.js';
import { findMksquashfs } from './tools.js';

export interface CreateSquashfsResult {
  output: string;
  /** Image size in bytes. */
  size: number;
  logFile: string;
  /** The timestamp used (mkfs time, mtime clamp, created nodes); 0 when none was given. */
  sourceDateEpoch: number;
  compression: Compression;
  blockSize: number;
  /** mksquashfs version used. */
  toolVersion: string;
  /** The full mksquashfs argument list (output path shown as the final path). */
  args: string[];
  /** Manifest paths whose caps were left out (`unsupportedCaps: 'drop'` on squashfs-tools < 4.6). */
  droppedCaps: string[];
}

/**
 * Packs `source` into a squashfs image with mksquashfs, the manifest applied as pseudo
 * definitions. Reproducible: with an epoch (option or `SOURCE_DATE_EPOCH`) mksquashfs gets it
 * through its environment, which sets the mkfs time and clamps mtimes (never combined with
 * `-all-time`/`-mkfs-time`, a fatal error); without one the mkfs time is 0 and mtimes are kept.
 * xattrs are left out (`-no-xattrs`) unless manifest caps need `security.capability`.
 */
export async function createSquashfs(options: CreateSquashfsOptions): Promise<CreateSquashfsResult> {
  const opts = parseOptions(createSquashfsOptionsSchema, options, invalidOptions('createSquashfs'));
  const source = resolve(opts.source);
  const output = resolve(opts.output);
  const logFile = resolve(opts.logFile ?? `${output}.log`);
  const preset = presets[opts.preset ?? 'release'];
  const compression = opts.compression ?? preset.compression;
  const blockSize = opts.blockSize ?? preset.blockSize;
  const epoch = opts.sourceDateEpoch ?? sourceDateEpoch();
  await assertDirectory(source);

  const tool = await findMksquashfs();
  const excludes = opts.excludes ?? [];
  const plan = await planPseudoDefinitions(opts.manifest ?? emptyManifest(), {
    source,
    time: epoch ?? 0,
    isExcluded: excludeMatcher(excludes),
    tool,
    ...(opts.unsupportedCaps ? { unsupportedCaps: opts.unsupportedCaps } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
  });

  const sideFiles: string[] = [];
  try {
    const args = ['-noappend', '-no-recovery', '-exit-on-error', '-comp', compression.algorithm];
    args.push(...compressorArgs(compression), '-b', String(blockSize));
    if (opts.onProgress && tool.percentage) args.push('-percentage');
    if (opts.processors !== undefined) args.push('-processors', String(opts.processors));
    // caps need xattrs on; only security.capability is kept so the host's other xattrs stay out.
    if (plan.usesXattrs) args.push('-xattrs', '-xattrs-include', '^security\\.capability$');
    else args.push('-no-xattrs');
    if (epoch === undefined) args.push('-mkfs-time', '0');
    args.push(...plan.rootArgs);
    if (plan.lines.length) {
      const pseudoFile = `${output}.pseudo`;
      await writeFile(pseudoFile, `${plan.lines.join('\n')}\n`);
      sideFiles.push(pseudoFile);
      args.push('-pf', pseudoFile);
    }
    if (excludes.length) {
      const excludeFile = `${output}.exclude`;
      await writeFile(excludeFile, `${excludes.map((e) => e.replace(/^\/+/, '')).join('\n')}\n`);
      sideFiles.push(excludeFile);
      args.push('-wildcards', '-ef', excludeFile);
    }

    const parser = opts.onProgress ? new ProgressParser(opts.onProgress) : undefined;
    await writeAtomically(output, async (temp) => {
      await runLogged(tool.path, [source, temp, ...args], {
        ...squashfsLogOptions(logFile),
        env: { SOURCE_DATE_EPOCH: epoch === undefined ? undefined : String(epoch) },
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(parser ? { onOutput: (chunk: string) => parser.push(chunk) } : {}),
      });
      parser?.end();
      parser?.complete();
    });
    const { size } = await stat(output);
    return {
      output,
      size,
      logFile,
      sourceDateEpoch: epoch ?? 0,
      compression,
      blockSize,
      toolVersion: tool.version,
      args: [source, output, ...args],
      droppedCaps: plan.droppedCaps,
    };
  } finally {
    await Promise.all(sideFiles.map((f) => rm(f, { force: true })));
  }
}

function compressorArgs(c: Compression): string[] {
  return c.level === undefined ? [] : ['-Xcompression-level', String(c.level)];
}

async function assertDirectory(path: string): Promise<void> {
  const stats = await stat(path).catch(() => undefined);
  if (!stats?.isDirectory()) {
    throw new SquashfsError('ERR_SOURCE_NOT_DIRECTORY', `source ${path} is not a directory`, { path });
  }
}
