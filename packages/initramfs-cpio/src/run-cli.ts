import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import {
  isDistroforgeError,
  parseOptions,
  parseSubcommandLine,
  readManifest,
  UsageError,
  writeManifest,
  type ParsedCommandLine,
} from '@distroforge/core';
import { combineEntries } from './combine-entries.js';
import { segmentSchema, writeInitramfs, type CpioSegment } from './pack-cpio.js';
import { entriesFromDirectory } from './entries-from-directory.js';
import { entriesFromSpec } from './entries-from-spec.js';
import { extractCpio } from './extract-cpio.js';
import { formatListing } from './format-listing.js';
import { kernelModuleEntries, resolveModuleClosure } from './kernel-modules.js';
import { readCpio } from './read-cpio.js';

export const usage = `usage:
  initramfs-cpio pack DIR|SPEC -o|--output FILE [--compress none|gzip|zstd|xz] [--level N]
                 [--manifest FILE] [--owner disk|root] [--modules-dir DIR --module NAME ...]
                 [--prepend ARCHIVE ...]
  initramfs-cpio list FILE [--json]
  initramfs-cpio extract FILE -C|--directory DIR [--manifest-out FILE]
  initramfs-cpio help | --help | -h   this text (--help also after a command)
  initramfs-cpio --version            the package's version

  pack      DIR is a directory tree (with an optional distroforge manifest), SPEC a gen_init_cpio
            spec file; --module adds kernel modules with their dependency closure from
            --modules-dir (lib/modules/VERSION); --prepend puts existing archives (microcode) first.
  list      every member with mode, links, owner, size or device numbers, mtime (UTC); --json:
            one JSON object per line. Reads concatenated and gzip/zstd/xz-compressed archives.
  extract   into DIR (new or empty), all or nothing; refuses members that would escape it or
            go through a symlink; device nodes are written to the --manifest-out manifest
            instead of being created.
`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The commands and their flags (exported for the test that checks the usage names exactly these). */
export const commandLine = {
  commands: {
    pack: {
      flags: {
        output: { type: 'string', short: 'o' },
        compress: { type: 'string', default: 'none' },
        level: { type: 'string' },
        manifest: { type: 'string' },
        owner: { type: 'string' },
        'modules-dir': { type: 'string' },
        module: { type: 'string', multiple: true },
        prepend: { type: 'string', multiple: true },
      },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'DIR or SPEC',
    },
    list: {
      flags: { json: { type: 'boolean', default: false } },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'FILE',
    },
    extract: {
      flags: { directory: { type: 'string', short: 'C' }, 'manifest-out': { type: 'string' } },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'FILE',
    },
  },
} as const;

type Values = ParsedCommandLine['values'];

/** Runs the command line; returns the exit code (0 ok, 1 failure, 2 usage). One catch for every error. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const [first] = argv;
    if (first === 'help') argv = ['--help'];
    if (first === '--version') {
      // The package's own package.json by its name (exported), from the sources, dist/ or the bundled bin.
      const pkg = createRequire(import.meta.url)('@distroforge/initramfs-cpio/package.json') as { version: string };
      io.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    const { command, help, values, positionals } = parseSubcommandLine(argv, commandLine);
    if (help || command === undefined) {
      io.stdout.write(usage);
      return help ? 0 : 2;
    }
    const input = positionals[0] as string;
    if (command === 'pack') return await pack(input, values, io);
    if (command === 'list') return await list(input, values, io);
    return await extract(input, values, io);
  } catch (error) {
    if (isDistroforgeError(error) && error.code === 'ERR_USAGE') {
      io.stderr.write(`initramfs-cpio: ${error.describe()}\n\n${usage}`);
      return 2;
    }
    if (isDistroforgeError(error)) {
      io.stderr.write(`initramfs-cpio: ${error.describe()}\n`);
      return 1;
    }
    // A file named on the command line that is not there: the user's mistake, said as such.
    const missing = error as NodeJS.ErrnoException;
    if (
      (missing.code === 'ENOENT' || missing.code === 'ENOTDIR' || missing.code === 'EACCES') &&
      missing.path !== undefined
    ) {
      io.stderr.write(`initramfs-cpio: ${missing.code === 'EACCES' ? 'cannot read' : 'not found'}: ${missing.path}\n`);
      return 1;
    }
    throw error;
  }
}

async function pack(input: string, parsed: Values, io: CliIo): Promise<number> {
  const values = parsed as {
    output?: string;
    compress?: string;
    level?: string;
    manifest?: string;
    owner?: string;
    'modules-dir'?: string;
    module?: string[];
    prepend?: string[];
  };
  if (!values.output) throw new UsageError('-o FILE is required', { hint: 'initramfs-cpio pack DIR -o FILE' });
  // The writer's own schema checks the flags' values; a bad one is the command line's fault (exit 2), every bad flag named.
  const { compress, level } = parseOptions(
    segmentSchema.pick({ compress: true, level: true }),
    { compress: values.compress, ...(values.level === undefined ? {} : { level: Number(values.level) }) },
    (issues) =>
      new UsageError(issues.map((issue) => `--${issue.key}: ${issue.message}`).join('; '), { value: issues[0]?.key }),
  );
  if (values.owner !== undefined && values.owner !== 'disk' && values.owner !== 'root')
    throw new UsageError('--owner is disk or root', { value: values.owner });
  if (values.module?.length && !values['modules-dir'])
    throw new UsageError('--module needs --modules-dir', {
      hint: '--modules-dir ROOT/lib/modules/VERSION --module NAME',
    });
  const isDir = (await stat(input)).isDirectory();
  if (!isDir && (values.manifest || values.owner))
    throw new UsageError('--manifest and --owner apply to a directory input', { value: input });
  const source = isDir
    ? entriesFromDirectory(input, {
        manifest: values.manifest ? await readManifest(values.manifest) : undefined,
        owner: values.owner as 'disk' | 'root' | undefined,
      })
    : await entriesFromSpec(input);
  let entries: CpioSegment['input'];
  let moduleCount = 0;
  if (values.module?.length) {
    const closure = await resolveModuleClosure({ modulesDir: values['modules-dir'] as string, names: values.module });
    moduleCount = closure.modules.length;
    entries = { entries: await combineEntries(source, await kernelModuleEntries(closure)) };
  } else {
    entries = { entries: source };
  }
  const result = await writeInitramfs({
    output: values.output,
    segments: [
      ...(values.prepend ?? []).map((archive) => ({ input: { archive }, compress: 'none' as const })),
      { input: entries, compress, ...(level === undefined ? {} : { level }) },
    ],
  });
  io.stdout.write(
    `${result.output}: ${result.bytes} bytes${compress === 'none' ? '' : ` (${compress})`}${moduleCount ? `, ${moduleCount} kernel modules` : ''}\n`,
  );
  return 0;
}

async function list(file: string, values: Values, io: CliIo): Promise<number> {
  for await (const { body: _body, ...entry } of readCpio(file)) {
    io.stdout.write(`${values.json ? JSON.stringify(entry) : formatListing(entry)}\n`);
  }
  return 0;
}

async function extract(file: string, parsed: Values, io: CliIo): Promise<number> {
  const values = parsed as { directory?: string; 'manifest-out'?: string };
  if (!values.directory) throw new UsageError('-C DIR is required', { hint: 'initramfs-cpio extract FILE -C DIR' });
  const result = await extractCpio(file, values.directory);
  if (values['manifest-out']) await writeManifest(values['manifest-out'], result.manifest);
  io.stdout.write(`${values.directory}: ${result.entries} entries extracted\n`);
  return 0;
}
