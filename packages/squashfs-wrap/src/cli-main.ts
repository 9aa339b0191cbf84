import { binErrorExit, readManifest } from '@distroforge/core';
import { parseArgs } from 'node:util';
import { createSquashfs } from './create-squashfs.js';
import { listSquashfs, type SquashfsEntry } from './list-squashfs.js';
import { InvalidOptionsError } from './errors.js';
import type { CreateSquashfsOptions } from './options.js';

export const usage = `Usage:
  squashfs-wrap create DIR -o IMAGE [--manifest FILE] [--comp ALGO[:LEVEL]] [--preset dev|release]
                       [--block-size BYTES] [--exclude PATTERN]... [--epoch SECONDS] [--log FILE]
  squashfs-wrap list IMAGE [--json]
`;

/** Runs the command line; returns the exit code (0 ok, 1 distroforge error, 2 usage). */
export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  try {
    return await run(argv, out);
  } catch (error) {
    return binErrorExit(error, (text) => process.stderr.write(text), usage);
  }
}

async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'create') {
    const { values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        manifest: { type: 'string' },
        comp: { type: 'string' },
        preset: { type: 'string' },
        'block-size': { type: 'string' },
        exclude: { type: 'string', multiple: true },
        epoch: { type: 'string' },
        log: { type: 'string' },
      },
    });
    if (positionals.length !== 1 || !values.output) throw new InvalidOptionsError('create needs DIR and -o IMAGE', { hint: usage });
    const options: CreateSquashfsOptions = { source: positionals[0] ?? '', output: values.output };
    if (values.manifest) options.manifest = await readManifest(values.manifest);
    if (values.comp) {
      const [algorithm, level] = values.comp.split(':');
      options.compression = { algorithm: algorithm as never, ...(level === undefined ? {} : { level: Number(level) }) };
    }
    if (values.preset) options.preset = values.preset as never;
    if (values['block-size']) options.blockSize = Number(values['block-size']);
    if (values.exclude) options.excludes = values.exclude;
    if (values.epoch) options.sourceDateEpoch = Number(values.epoch);
    if (values.log) options.logFile = values.log;
    if (process.stderr.isTTY) options.onProgress = (e) => process.stderr.write(`\r${String(e.percent).padStart(3)}%`);
    const result = await createSquashfs(options);
    if (process.stderr.isTTY) process.stderr.write('\n');
    out(`${result.output} ${result.size} bytes (${result.compression.algorithm}${result.compression.level === undefined ? '' : `:${result.compression.level}`}, log ${result.logFile})\n`);
    return 0;
  }
  if (command === 'list') {
    const { values, positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new InvalidOptionsError('list needs IMAGE', { hint: usage });
    const entries = await listSquashfs(positionals[0] ?? '');
    for (const e of entries) out(values.json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
    return 0;
  }
  out(usage);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

function formatEntry(e: SquashfsEntry): string {
  const size = e.major === undefined ? String(e.size) : `${e.major},${e.minor}`;
  return `${e.type.padEnd(7)} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}/${e.gid} ${size.padStart(10)} ${e.mtime} ${e.path}${e.target === undefined ? '' : ` -> ${e.target}`}`;
}

