import { runSubcommandBin } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { assembleDisk, type AssembledDisk } from './assemble-disk.js';
import { formatInspection } from './format-inspection.js';
import { inspectDisk } from './inspect-disk.js';
import type { AssembleDiskOptions } from './options.js';

export const usage = `usage:
  disk-assemble build OPTIONS.json [--json]   build a GPT disk image from assembleDisk options (a JSON file)
  disk-assemble inspect DISK.img [--json]     the partition table and each partition's filesystem
  disk-assemble --help                        this text (-h; also after a command)
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
      positionalNames: 'DISK.img',
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
        const options = JSON.parse(await readFile(file, 'utf8')) as AssembleDiskOptions;
        const result = await assembleDisk(options);
        write(values.json ? `${JSON.stringify(result)}\n` : buildSummary(result));
      } else {
        const inspection = await inspectDisk(file);
        write(values.json ? `${JSON.stringify(inspection)}\n` : formatInspection(inspection));
      }
      return 0;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      writeError(`${file}: not valid JSON: ${error.message}\n`);
      return 1;
    }
  });
}

function buildSummary(result: AssembledDisk): string {
  const boot = [result.boot.bios && 'BIOS', result.boot.uefi && 'UEFI'].filter(Boolean).join(' + ');
  return `${result.path}: ${result.format}, disk ${result.diskSize} bytes, ${boot}, root PARTUUID ${result.root.partuuid}, sha256 ${result.sha256} (log ${result.logFile})\n`;
}
