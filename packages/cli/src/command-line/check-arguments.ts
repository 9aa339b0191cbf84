import type { ArgsDef } from 'citty';
import { parseCommandLine, type FlagSpec } from '@distroforge/core';

/**
 * Refuses what citty would silently ignore: an unknown flag (`build -O out` built into the default
 * directory) or a stray argument. Throws core's UsageError (ERR_USAGE: exit 2) with the nearest
 * known flag as the hint. `args` are the command's own arguments, after its name.
 */
export function checkArguments(args: readonly string[], defs: ArgsDef): void {
  const flags: Record<string, FlagSpec> = {};
  let positionals = 0;
  const names: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') {
      positionals++;
      names.push(name.toUpperCase());
      continue;
    }
    const type = def.type === 'boolean' ? 'boolean' : 'string';
    const alias: string | string[] | undefined = 'alias' in def ? def.alias : undefined;
    const short = (typeof alias === 'string' ? [alias] : (alias ?? [])).find((a) => a.length === 1);
    // citty takes the kebab-case spelling of a camelCase name, and --no-NAME for a switch.
    for (const spelling of new Set([kebabCase(name), name])) {
      flags[spelling] = { type, ...(short !== undefined && spelling === kebabCase(name) ? { short } : {}) };
      if (type === 'boolean') flags[`no-${spelling}`] = { type };
    }
  }
  flags.help = { type: 'boolean', short: 'h' };
  parseCommandLine(args, { flags, maxPositionals: positionals, positionalNames: names.join(' ') || 'argument' });
}

function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
