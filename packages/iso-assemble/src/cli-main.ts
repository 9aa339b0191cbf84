import { runSubcommandBin } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { assembleIso, type AssembledIso } from './assemble-iso.js';
import { inspectIso } from './inspect-iso.js';
import type { AssembleIsoOptions } from './options.js';

export const usage = `usage:
  iso-assemble build OPTIONS.json [--json]   build an ISO from assembleIso options (a JSON file)
  iso-assemble inspect FILE.iso [--json]     files, El Torito boot entries and partition tables
  iso-assemble --help                        this text (-h; also after a command)
exit codes: 0 done, 1 failed (typed error), 2 usage error
`;

/** The commands and their flags (exported for the test that checks the usage names exactly these). */
export const commandLine = {
  commands: {
    build: {
      flags: { json: { type: 'boolean' } },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'OPTIONS.json',
    },
    inspect: {
      flags: { json: { type: 'boolean' } },
      minPositionals: 1,
      maxPositionals: 1,
      positionalNames: 'FILE.iso',
    },
  },
} as const;

/** The command line, testable: returns the exit code; results go to `write`, errors and usage to `writeError`. */
export async function main(
  argv: readonly string[],
  write: (text: string) => void,
  writeError: (text: string) => void = write,
): Promise<number> {
  return runSubcommandBin(argv, commandLine, usage, { write, writeError }, async (command, { values, positionals }) => {
    const file = positionals[0] as string;
    try {
      if (command === 'build') {
        const options = JSON.parse(await readFile(file, 'utf8')) as AssembleIsoOptions;
        const result = await assembleIso(options);
        write(values.json ? `${JSON.stringify(result)}\n` : summary(result));
      } else {
        const inspection = await inspectIso(file);
        if (values.json) {
          write(`${JSON.stringify(inspection)}\n`);
        } else {
          write(`${inspection.path}: volume ${inspection.volumeId}, created ${inspection.creationTime}\n`);
          for (const e of inspection.elTorito.entries)
            write(`El Torito ${e.index}: ${e.platform} ${e.imagePath ?? `(hidden image at LBA ${e.lba})`}\n`);
          for (const p of inspection.systemArea.mbr)
            write(`MBR ${p.index}: type ${p.type} status ${p.status} start ${p.start} blocks ${p.blocks}\n`);
          for (const p of inspection.systemArea.gpt?.partitions ?? [])
            write(`GPT ${p.index}: ${p.name} type ${p.typeGuid} start ${p.start} size ${p.size}\n`);
          for (const f of inspection.files)
            write(`${f.type === 'dir' ? 'd' : '-'} ${String(f.size).padStart(12)} ${f.path}\n`);
        }
      }
      return 0;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      writeError(`${file}: not valid JSON: ${error.message}\n`);
      return 1;
    }
  });
}

function summary(result: AssembledIso): string {
  const boot = [
    result.boot.bios && 'BIOS',
    result.boot.uefi && (result.boot.secureBoot ? 'UEFI + Secure Boot' : 'UEFI'),
  ]
    .filter(Boolean)
    .join(' + ');
  return `${result.path}: ${result.size} bytes, ${boot}, sha256 ${result.sha256} (log ${result.logFile})\n`;
}
