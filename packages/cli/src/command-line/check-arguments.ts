import type { ArgsDef } from 'citty';
import { parseCommandLine, type FlagSpec } from '@distroforge/core';

/** A command's flags as its usage lists them and checkArguments accepts them, and its positionals. */
export interface CommandFlags {
  /** By kebab-case name (`allow-rollback`), with `help`/`-h`. */
  flags: Record<string, FlagSpec>;
  /** Each definition's key in citty's `args` by flag name (`allow-rollback` → `allowRollback`). */
  keys: Record<string, string>;
  positionals: string[];
}

/** The flags of a citty command's argument definitions, the one table help and parsing share. */
export function commandFlags(defs: ArgsDef): CommandFlags {
  const flags: Record<string, FlagSpec> = {};
  const keys: Record<string, string> = {};
  const positionals: string[] = [];
  for (const [key, def] of Object.entries(defs)) {
    if (def.type === 'positional') {
      positionals.push(key.toUpperCase());
      continue;
    }
    const alias: string | string[] | undefined = 'alias' in def ? def.alias : undefined;
    const short = (typeof alias === 'string' ? [alias] : (alias ?? [])).find((a) => a.length === 1);
    const name = kebabCase(key);
    flags[name] = { type: def.type === 'boolean' ? 'boolean' : 'string', ...(short === undefined ? {} : { short }) };
    keys[name] = key;
  }
  flags.help = { type: 'boolean', short: 'h' };
  return { flags, keys, positionals };
}

/**
 * Refuses what citty would silently ignore: an unknown flag (`build -O out` built into the default
 * directory) or a stray argument. Throws core's UsageError (ERR_USAGE: exit 2) with the nearest
 * known flag as the hint. `args` are the command's own arguments, after its name.
 */
export function checkArguments(args: readonly string[], defs: ArgsDef): void {
  const { flags, keys, positionals } = commandFlags(defs);
  // citty also reads the camelCase key (`--allowRollback`), which earlier help texts showed:
  // still accepted so scripts keep working, no longer listed.
  const accepted: Record<string, FlagSpec> = { ...flags };
  for (const [name, key] of Object.entries(keys))
    if (key !== name) accepted[key] = { type: (flags[name] as FlagSpec).type };
  parseCommandLine(args, {
    flags: accepted,
    maxPositionals: positionals.length,
    positionalNames: positionals.join(' ') || 'argument',
  });
}

function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
