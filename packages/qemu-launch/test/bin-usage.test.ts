// The bin's --help as users see it (the built bin, dist/bin/cli.js), pinned, and checked against the flag
// definitions: the usage names exactly the flags the parser accepts.
import { flagSpellings } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeCommandLine, runBuiltBin, usageFlags } from '../../../tools/testing/bin-usage.mjs';
import { FLAGS, USAGE } from '../src/run-cli.js';

const packageDir = resolve(import.meta.dirname, '..');

describe('qemu-launch --help', () => {
  it('prints the pinned usage (exit 0)', async () => {
    const help = await runBuiltBin(packageDir, ['--help']);
    expect(help).toEqual({ exitCode: 0, stdout: `${USAGE}\n`, stderr: '' });
    await expect(help.stdout).toMatchFileSnapshot('__snapshots__/qemu-launch-help.txt');
    expect(await runBuiltBin(packageDir, ['-h'])).toEqual(help);
  });

  it('names exactly the flags the parser accepts, and the README names the same', async () => {
    expect(usageFlags(USAGE)).toEqual(flagSpellings(FLAGS).sort());
    const readme = readmeCommandLine(await readFile(resolve(packageDir, 'README.md'), 'utf8'));
    expect(usageFlags(readme ?? '')).toEqual(usageFlags(USAGE));
  });
});
