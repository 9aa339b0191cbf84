// The bin's --help as users see it (the built bin, dist/bin/cli.js), pinned, and checked against the flag
// definitions: each command's synopsis names exactly the flags that command accepts.
import { flagSpellings } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeCommandLine, runBuiltBin, synopsisOf, usageFlags } from '../../../tools/testing/bin-usage.mjs';
import { commandLine, usage } from '../src/cli-main.js';

const packageDir = resolve(import.meta.dirname, '..');
// parseSubcommandLine adds --help/-h to every command.
const binWide = [...flagSpellings({ help: { type: 'boolean', short: 'h' } })];

describe('iso-assemble --help', () => {
  it('prints the pinned usage, also after each command (exit 0)', async () => {
    const top = await runBuiltBin(packageDir, ['--help']);
    expect(top).toEqual({ exitCode: 0, stdout: usage, stderr: '' });
    await expect(top.stdout).toMatchFileSnapshot('__snapshots__/iso-assemble-help.txt');
    for (const command of Object.keys(commandLine.commands))
      expect(await runBuiltBin(packageDir, [command, '-h']), command).toEqual(top);
  });

  it('names exactly the flags each command accepts, and the README names the same', async () => {
    for (const [command, spec] of Object.entries(commandLine.commands)) {
      expect(usageFlags(synopsisOf(usage, `iso-assemble ${command}`)), command).toEqual(
        flagSpellings(spec.flags).sort(),
      );
    }
    const all = Object.values(commandLine.commands).flatMap((spec) => flagSpellings(spec.flags));
    expect(usageFlags(usage)).toEqual([...new Set([...all, ...binWide])].sort());
    const readme = readmeCommandLine(await readFile(resolve(packageDir, 'README.md'), 'utf8'));
    expect(usageFlags(readme ?? '')).toEqual(usageFlags(usage));
  });
});
