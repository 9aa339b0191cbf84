import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestWord } from './closest-word.js';
import { UsageError } from './errors.js';

/** One flag of a command line: a switch, or one that takes a value (`--out DIR`, `--out=DIR`). */
export interface FlagSpec {
  type: 'boolean' | 'string';
  /** One-letter spelling (`-o`). */
  short?: string;
  /** Repeatable: every occurrence is kept. */
  multiple?: boolean;
  default?: boolean | string | string[];
}

export interface CommandLineSpec {
  flags: Readonly<Record<string, FlagSpec>>;
  /** The fewest positional arguments the command needs (default 0). */
  minPositionals?: number;
  /** The most positional arguments the command takes (default: any number). */
  maxPositionals?: number;
  /** What the positionals are, for the message about a stray one (`FILE`, `PROFILE`). */
  positionalNames?: string;
}

/** The values parseCommandLine gives for `flags`: strings, booleans, lists for repeatable flags. */
export type FlagValues<F extends Readonly<Record<string, FlagSpec>>> = {
  [K in keyof F]?: F[K] extends { multiple: true } ? string[] : F[K] extends { type: 'boolean' } ? boolean : string;
};

export interface ParsedCommandLine {
  values: Record<string, boolean | string | (boolean | string)[] | undefined>;
  positionals: string[];
}

/**
 * Parses a bin's arguments strictly: an unknown flag, a missing value or a stray argument is a
 * UsageError (ERR_USAGE, exit 2) naming it, with the nearest known flag as a hint — a mistyped
 * `--ouput` must never be ignored while the build goes on with defaults.
 */
export function parseCommandLine<F extends Readonly<Record<string, FlagSpec>>>(
  argv: readonly string[],
  spec: CommandLineSpec & { flags: F },
): { values: FlagValues<F>; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = {
      type: flag.type,
      ...(flag.short === undefined ? {} : { short: flag.short }),
      ...(flag.multiple === undefined ? {} : { multiple: flag.multiple }),
      ...(flag.default === undefined ? {} : { default: flag.default }),
    } as NonNullable<ParseArgsConfig['options']>[string];
  }
  let parsed: ParsedCommandLine;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as ParsedCommandLine;
  } catch (error) {
    throw usageErrorFrom(error, argv, spec);
  }
  if (spec.maxPositionals !== undefined && parsed.positionals.length > spec.maxPositionals) {
    const stray = parsed.positionals[spec.maxPositionals] as string;
    const expected =
      spec.maxPositionals === 0
        ? 'no arguments besides flags'
        : `${spec.maxPositionals === 1 ? 'one' : spec.maxPositionals} ${spec.positionalNames ?? 'argument'}`;
    throw new UsageError(`unexpected argument '${stray}': this command takes ${expected}`, {
      value: stray,
      hint: stray.startsWith('-')
        ? `flags go before '--'; after it '${stray}' is an argument`
        : 'quote an argument that contains spaces; see --help',
    });
  }
  const min = spec.minPositionals ?? 0;
  if (parsed.positionals.length < min && parsed.values.help !== true) {
    const wanted = spec.positionalNames ?? `${min} argument${min === 1 ? '' : 's'}`;
    throw new UsageError(`missing argument: expected ${wanted}`, { hint: 'see --help' });
  }
  return parsed as { values: FlagValues<F>; positionals: string[] };
}

/** A bin with sub-commands (`disk-assemble build FILE`), each with its own command line. */
export interface SubcommandLineSpec {
  commands: Readonly<Record<string, CommandLineSpec>>;
}

/**
 * Parses `COMMAND ARGS...` strictly: an unknown command is a UsageError with the nearest known one
 * as the hint, the rest as parseCommandLine parses it. `--help`/`-h` anywhere gives `help: true`
 * (and no command when it comes first).
 */
export function parseSubcommandLine(
  argv: readonly string[],
  spec: SubcommandLineSpec,
): ParsedCommandLine & { command: string | undefined; help: boolean } {
  const [first, ...rest] = argv;
  const known = Object.keys(spec.commands);
  if (first === undefined || first === '--help' || first === '-h')
    return { command: undefined, help: first !== undefined, values: {}, positionals: [] };
  const command = spec.commands[first];
  if (command === undefined) {
    const near = closestWord(first, known);
    throw new UsageError(
      first.startsWith('-') ? `expected a command before '${first}'` : `unknown command '${first}'`,
      {
        value: first,
        hint: near === undefined || first.startsWith('-') ? `commands: ${known.join(', ')}` : `did you mean ${near}?`,
      },
    );
  }
  const flags = { ...command.flags, help: { type: 'boolean', short: 'h' } } satisfies Record<string, FlagSpec>;
  const parsed = parseCommandLine(rest, { ...command, flags });
  return { command: first, help: parsed.values.help === true, ...parsed };
}

/** Every spelling a user may type for the flags of a spec: `--name`, and `-x` for a short one. */
export function flagSpellings(flags: Readonly<Record<string, FlagSpec>>): string[] {
  return Object.entries(flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.short ? [`-${flag.short}`] : [])]);
}

/** The message for a flag nobody knows, with the closest known spelling when one is near. */
export function unknownFlagError(flag: string, known: readonly string[]): UsageError {
  const bare = flag.replace(/=.*$/s, '');
  const word = bare.replace(/^-+/, '');
  // One letter is one edit from every other letter: suggest only between real words.
  const words = known.map((k) => k.replace(/^-+/, '')).filter((k) => k.length > 1);
  // A longer or shorter spelling of a flag (`--compression` for `--comp`) first, then a typo.
  const prefixed = words.filter((k) => word.length > 1 && (k.startsWith(word) || word.startsWith(k)));
  const near = prefixed.length === 1 ? prefixed[0] : word.length > 1 ? closestWord(word, words) : undefined;
  const suggestion = near === undefined ? undefined : known.find((k) => k.replace(/^-+/, '') === near);
  return new UsageError(`unknown flag '${bare}'`, {
    value: bare,
    hint: suggestion === undefined ? `known flags: ${known.join(', ')}` : `did you mean ${suggestion}?`,
  });
}

function usageErrorFrom(error: unknown, argv: readonly string[], spec: CommandLineSpec): unknown {
  const code = String((error as { code?: unknown } | null)?.code);
  if (!code.startsWith('ERR_PARSE_ARGS')) return error;
  const message = (error as Error).message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // node names the flag in quotes: "Unknown option '--ouput'".
    const flag = /'([^']+)'/.exec(message)?.[1] ?? argv.find((a) => a.startsWith('-')) ?? '';
    return unknownFlagError(flag, flagSpellings(spec.flags));
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /(--[\w-]+)/.exec(message)?.[1] ?? '--flag';
    const missing = /argument missing/.test(message);
    return new UsageError(missing ? `${flag} needs a value` : `${flag} takes no value`, {
      value: flag,
      hint: missing ? `${flag} VALUE or ${flag}=VALUE` : `write ${flag} alone (or leave it out)`,
    });
  }
  return new UsageError(message, { hint: 'see --help' });
}
