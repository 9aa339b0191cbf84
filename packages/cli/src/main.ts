import { defineCommand, runCommand, type CommandDef } from 'citty';
import { closestWord, isDistroforgeError, UsageError } from '@distroforge/core';
import { checkArguments } from './command-line/check-arguments.js';
import { renderUsage } from './command-line/render-usage.js';
import { exitCodeFor, exitCodes } from './exit-codes.js';
import { commands } from './commands/index.js';

export const version = '0.1.0';

export const mainCommand = defineCommand({
  meta: {
    name: 'distroforge',
    version,
    description: 'Build bootable Linux images from a profile and boot-test them in QEMU.',
  },
  subCommands: commands,
});

/**
 * Runs the CLI and returns its exit code. The ONE place errors become messages: typed errors print
 * their code, message, location and hint; anything else is a bug and prints its stack.
 */
export async function main(
  argv: string[],
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const json = argv.includes('--json');
  try {
    const [sub, parent] = await resolveSubCommand(mainCommand, argv);
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      stdout.write(await renderUsage(sub, parent));
      return argv.length === 0 ? exitCodes.usage : exitCodes.ok;
    }
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
      stdout.write(`${version}\n`);
      return exitCodes.ok;
    }
    const named = argv.findIndex((a) => !a.startsWith('-'));
    if (parent === undefined && named >= 0) throw await unknownCommandError(argv[named] as string);
    if (parent !== undefined)
      checkArguments([...argv.slice(0, named), ...argv.slice(named + 1)], await resolveValue(sub.args ?? {}));
    const result = await runCommand(mainCommand, { rawArgs: argv });
    return typeof result.result === 'number' ? result.result : exitCodes.ok;
  } catch (error) {
    const code = exitCodeFor(error);
    if (json) {
      const payload = isDistroforgeError(error) ? error.toJSON() : { code: 'ERR_INTERNAL', message: String(error) };
      stderr.write(`${JSON.stringify({ type: 'error', exitCode: code, ...payload })}\n`);
    } else if (isDistroforgeError(error)) {
      stderr.write(`error: ${error.describe()}\n`);
    } else if ((error as { name?: string }).name === 'CLIError') {
      stderr.write(`error: ${(error as Error).message}\nrun distroforge --help for usage\n`);
      return exitCodes.usage;
    } else {
      stderr.write(`internal error (please report): ${(error as Error)?.stack ?? String(error)}\n`);
    }
    return code;
  }
}

async function unknownCommandError(name: string): Promise<UsageError> {
  const known = Object.keys((await resolveValue(mainCommand.subCommands)) ?? {});
  const near = closestWord(name, known);
  return new UsageError(`unknown command '${name}'`, {
    value: name,
    hint: near ? `did you mean distroforge ${near}?` : `commands: ${known.join(', ')}`,
  });
}

async function resolveSubCommand(cmd: CommandDef, argv: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  const subs = await resolveValue(cmd.subCommands);
  const name = argv.find((a) => !a.startsWith('-'));
  if (subs && name && name in subs) {
    const sub = await resolveValue((subs as Record<string, unknown>)[name]);
    return [sub as CommandDef, cmd];
  }
  return [cmd, undefined];
}

async function resolveValue<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}
