// The bin's --help as users see it (the built bin, dist/bin/cli.js), pinned, and checked against the flag
// definitions: each source's synopsis names exactly the flags that source takes.
import { flagSpellings } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeCommandLine, runBuiltBin, synopsisOf, usageFlags } from '../../../tools/testing/bin-usage.mjs';
import { CLI_OPTIONS, FLAG_SOURCES, type SourceKind, usage } from '../src/cli-main.js';

const packageDir = resolve(import.meta.dirname, '..');

/** The spellings of the flags that apply to `source` (the bin's own `--help` aside). */
function spellingsFor(source: SourceKind): string[] {
  const flags = Object.entries(CLI_OPTIONS).filter(
    ([name]) => name !== 'help' && FLAG_SOURCES[name as keyof typeof CLI_OPTIONS].includes(source),
  );
  return flagSpellings(Object.fromEntries(flags)).sort();
}

describe('rootfs-bootstrap --help', () => {
  it('prints the pinned usage (exit 0)', async () => {
    const help = await runBuiltBin(packageDir, ['--help']);
    expect(help).toEqual({ exitCode: 0, stdout: usage, stderr: '' });
    await expect(help.stdout).toMatchFileSnapshot('__snapshots__/rootfs-bootstrap-help.txt');
    expect(await runBuiltBin(packageDir, ['-h'])).toEqual(help);
  });

  it('names exactly the flags the parser accepts, each source the flags it takes', () => {
    expect(usageFlags(synopsisOf(usage, 'rootfs-bootstrap --suite'))).toEqual(spellingsFor('apt'));
    expect(usageFlags(synopsisOf(usage, 'rootfs-bootstrap --source rpm-dir:PATH|rpm-repo:URL|rpm-iso:PATH'))).toEqual(
      spellingsFor('rpm'),
    );
    expect(usageFlags(synopsisOf(usage, 'rootfs-bootstrap --source pacman:URL|pacman-dir:PATH'))).toEqual(
      spellingsFor('pacman'),
    );
    expect(usageFlags(usage)).toEqual(flagSpellings(CLI_OPTIONS).sort());
  });

  it('is what the README shows under "Command line"', async () => {
    const readme = await readFile(resolve(packageDir, 'README.md'), 'utf8');
    const shown = readmeCommandLine(readme);
    const synopsis = usage.slice('Usage:\n'.length, usage.indexOf('\n\n') + 1).replace(/^ {2}/gm, '');
    expect(shown).toBe(synopsis);
  });
});
