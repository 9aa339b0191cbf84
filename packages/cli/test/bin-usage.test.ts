// distroforge --help and each command's --help as users see them (the built bin, dist/bin/cli.js), pinned,
// and checked against the argument definitions the command line is parsed with.
import { flagSpellings } from '@distroforge/core';
import type { ArgsDef, CommandDef } from 'citty';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuiltBin, usageFlags } from '../../../tools/testing/bin-usage.mjs';
import { checkArguments, commandFlags } from '../src/command-line/check-arguments.js';
import { commands } from '../src/commands/index.js';

const packageDir = resolve(import.meta.dirname, '..');
const names = Object.keys(commands);

async function argsOf(name: string): Promise<ArgsDef> {
  const command = (await (commands[name] as () => Promise<CommandDef>)()) as CommandDef;
  return (typeof command.args === 'function' ? await command.args() : await command.args) ?? {};
}

describe('distroforge --help', () => {
  it('prints the pinned overview (exit 0), naming every command and the flags main() answers', async () => {
    const help = await runBuiltBin(packageDir, ['--help']);
    expect(help).toMatchObject({ exitCode: 0, stderr: '' });
    await expect(help.stdout).toMatchFileSnapshot('__snapshots__/distroforge-help.txt');
    expect(await runBuiltBin(packageDir, ['-h'])).toEqual(help);
    for (const name of names) expect(help.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    // main() answers these before any command runs (main.ts).
    expect(usageFlags(help.stdout)).toEqual(['--help', '--version', '-h', '-v']);
  });

  it.each(names)(
    '%s --help prints the pinned text (exit 0), listing exactly the flags the command accepts',
    async (name) => {
      const help = await runBuiltBin(packageDir, [name, '--help']);
      expect(help).toMatchObject({ exitCode: 0, stderr: '' });
      await expect(help.stdout).toMatchFileSnapshot(`__snapshots__/distroforge-${name}-help.txt`);
      const options = help.stdout.slice(help.stdout.indexOf('\nOptions:\n'));
      expect(usageFlags(options)).toEqual(flagSpellings(commandFlags(await argsOf(name)).flags).sort());
    },
  );
});

describe('checkArguments', () => {
  it('accepts the listed spellings and the camelCase ones earlier help texts showed, nothing else', async () => {
    const args = await argsOf('build');
    expect(() => checkArguments(['--allow-rollback', '-o', 'x', '--state=y', 'profile'], args)).not.toThrow();
    expect(() => checkArguments(['--allowRollback'], args)).not.toThrow();
    expect(() => checkArguments(['--no-check'], args)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', value: '--no-check' }),
    );
    expect(() => checkArguments(['--allow-rolback'], args)).toThrow(
      expect.objectContaining({ hint: 'did you mean --allow-rollback?' }),
    );
  });
});
