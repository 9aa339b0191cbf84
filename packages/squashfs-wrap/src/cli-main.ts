import { binErrorExit, parseSubcommandLine, readManifest, UsageError } from '@distroforge/core';
import { createSquashfs } from './create-squashfs.js';
import { listSquashfs, type SquashfsEntry } from './list-squashfs.js';
import type { CreateSquashfsOptions } from './options.js';

export const usage = `Usage:
  squashfs-wrap create DIR -o|--output IMAGE [--manifest FILE] [--comp ALGO[:LEVEL]] [--preset dev|release]
                       [--block-size BYTES] [--exclude PATTERN]... [--epoch SECONDS] [--log FILE]
  squashfs-wrap list IMAGE [--json]
  squashfs-wrap --help                 this text (-h; also after a command)
`;

/** Runs the command line; returns the exit code (0 ok, 1 distroforge error, 2 usage). */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  try {
    return await run(argv, out);
  } catch (error) {
    return binErrorExit(error, err, usage);
  }
}

/** The commands and their flags (exported for the test that checks the usage names exactly these). */
export const commandLine = {
  commands: {
    create: {
      flags: {
        output: { type: 'string', short: 'o' },
        manifest: { type: 'string' },
        comp: { type: 'string' },
        preset: { type: 'string' },
        'block-size': { type: 'string' },
        exclude: { type: 'string', multiple: true },
        epoch: { type: 'string' },
        log: { type: 'string' },
      },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'DIR',
    },
    list: { flags: { json: { type: 'boolean' } }, minPositionals: 1, maxPositionals: 1, positionalNames: 'IMAGE' },
  },
} as const;

async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const { command, help, values: parsed, positionals } = parseSubcommandLine(argv, commandLine);
  if (help || command === undefined) {
    out(usage);
    return help || argv.length === 0 ? 0 : 2;
  }
  if (command === 'create') {
    const values = parsed as {
      output?: string;
      manifest?: string;
      comp?: string;
      preset?: string;
      'block-size'?: string;
      exclude?: string[];
      epoch?: string;
      log?: string;
    };
    if (!values.output) throw new UsageError('create needs -o IMAGE', { hint: 'squashfs-wrap create DIR -o IMAGE' });
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
    out(
      `${result.output} ${result.size} bytes (${result.compression.algorithm}${result.compression.level === undefined ? '' : `:${result.compression.level}`}, log ${result.logFile})\n`,
    );
    return 0;
  }
  const entries = await listSquashfs(positionals[0] ?? '');
  for (const e of entries) out(parsed.json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
  return 0;
}

function formatEntry(e: SquashfsEntry): string {
  const size = e.major === undefined ? String(e.size) : `${e.major},${e.minor}`;
  return `${e.type.padEnd(7)} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}/${e.gid} ${size.padStart(10)} ${e.mtime} ${e.path}${e.target === undefined ? '' : ` -> ${e.target}`}`;
}
