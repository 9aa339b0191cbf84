#!/usr/bin/env node
import { isDistroforgeError } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { assembleIso } from './assemble-iso.js';
import { inspectIso } from './inspect-iso.js';

const usage = `usage:
  iso-assemble build OPTIONS.json     build an ISO from assembleIso options (JSON); prints the result
  iso-assemble inspect FILE.iso       print files, El Torito entries and partition tables (JSON)`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  const [command, file] = positionals;
  if (values.help || command === undefined || file === undefined || positionals.length !== 2) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'build') {
    const result = await assembleIso(JSON.parse(await readFile(file, 'utf8')) as Parameters<typeof assembleIso>[0]);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  if (command === 'inspect') {
    process.stdout.write(`${JSON.stringify(await inspectIso(file), null, 2)}\n`);
    return 0;
  }
  process.stderr.write(`unknown command ${command}\n${usage}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${isDistroforgeError(error) ? error.describe() : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
