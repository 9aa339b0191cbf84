import type { ArgDef, ArgsDef, CommandDef, SubCommandsDef } from 'citty';
import { commandFlags } from './check-arguments.js';

/** Where descriptions wrap: a help text stays readable in an 100-column terminal. */
const WIDTH = 100;

/**
 * The `--help` text of `distroforge` (`parent` undefined) or of one of its commands, from the
 * argument definitions checkArguments parses with (commandFlags), so it lists exactly the flags
 * the command accepts, in the spelling it documents (`--allow-rollback`). Plain text: it goes to
 * pipes and logs as well as terminals.
 */
export async function renderUsage(cmd: CommandDef, parent: CommandDef | undefined): Promise<string> {
  const meta = await resolveValue(cmd.meta ?? {});
  if (parent === undefined)
    return renderTop(
      meta.name ?? 'distroforge',
      meta.description ?? '',
      meta.version,
      await resolveValue(cmd.subCommands ?? {}),
    );
  const bin = (await resolveValue(parent.meta ?? {})).name ?? 'distroforge';
  const defs: ArgsDef = await resolveValue(cmd.args ?? {});
  const { flags, keys } = commandFlags(defs);
  const positionals = Object.entries(defs).filter(([, def]) => def.type === 'positional');
  const synopsis = positionals.map(([key, def]) =>
    def.required === false || def.default !== undefined ? `[${key.toUpperCase()}]` : key.toUpperCase(),
  );
  const out = [
    `Usage: ${bin} ${meta.name} [OPTIONS]${synopsis.map((s) => ` ${s}`).join('')}`,
    '',
    wrap(meta.description ?? '', 0),
  ];
  if (positionals.length > 0) {
    out.push('', 'Arguments:', ...table(positionals.map(([key, def]) => [key.toUpperCase(), describe(def)])));
  }
  const rows = Object.entries(flags).map(([name, flag]): [string, string] => {
    const def = keys[name] === undefined ? undefined : defs[keys[name] as string];
    const spelling = `${flag.short === undefined ? '' : `-${flag.short}, `}--${name}`;
    if (def === undefined) return [spelling, 'this text'];
    return [flag.type === 'string' ? `${spelling} ${valueName(name, def)}` : spelling, describe(def)];
  });
  out.push('', 'Options:', ...table(rows));
  return `${out.join('\n')}\n`;
}

async function renderTop(
  name: string,
  description: string,
  version: string | undefined,
  subCommands: SubCommandsDef,
): Promise<string> {
  const rows: [string, string][] = [];
  for (const [command, sub] of Object.entries(subCommands)) {
    const meta = await resolveValue((await resolveValue(sub)).meta ?? {});
    if (meta.hidden) continue;
    rows.push([command, meta.description ?? '']);
  }
  return [
    `Usage: ${name} COMMAND [OPTIONS]`,
    '',
    wrap(`${description}${version === undefined ? '' : ` (version ${version})`}`, 0),
    '',
    'Commands:',
    ...table(rows),
    '',
    'Options:',
    ...table([
      ['-h, --help', 'this text; after a command, that command\u2019s options'],
      ['-v, --version', 'the version'],
    ]),
    '',
    `Run ${name} COMMAND --help for a command\u2019s arguments and options.`,
    '',
  ].join('\n');
}

/** The description, and the default when it has one that is not a switch's `false` and the text does not say it. */
function describe(def: ArgDef): string {
  const text = def.description ?? '';
  if (def.default === undefined || def.type === 'boolean' || /\bdefault\b/i.test(text)) return text;
  return `${text}${text ? ' ' : ''}(default: ${String(def.default)})`;
}

/** `--out DIR`: citty's valueHint, or the flag's name in capitals. */
function valueName(name: string, def: ArgDef): string {
  return 'valueHint' in def && def.valueHint ? def.valueHint : name.toUpperCase().replace(/-/g, '_');
}

/** Two columns, the second wrapped to WIDTH with its continuation lines under its start. */
function table(rows: readonly [string, string][]): string[] {
  const left = Math.max(...rows.map(([first]) => first.length)) + 4;
  return rows.map(([first, second]) => `  ${first.padEnd(left - 2)}${wrap(second, left)}`.trimEnd());
}

/** `text` broken at spaces into lines of at most WIDTH columns; lines after the first indented by `indent`. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

async function resolveValue<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}
