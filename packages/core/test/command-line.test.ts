import { describe, expect, it } from 'vitest';
import {
  binErrorExit,
  closestWord,
  parseCommandLine,
  parseSubcommandLine,
  UsageError,
  type CommandLineSpec,
} from '@distroforge/core';

const spec: CommandLineSpec = {
  flags: {
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
    include: { type: 'string', multiple: true },
  },
  maxPositionals: 1,
  positionalNames: 'PROFILE',
};

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv, spec);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseCommandLine', () => {
  it('takes long, short, = and repeated flags and the positionals', () => {
    expect(parseCommandLine(['p', '-o', 'out', '--json', '--include=a', '--include', 'b'], spec)).toEqual({
      values: { out: 'out', json: true, include: ['a', 'b'] },
      positionals: ['p'],
    });
    expect(parseCommandLine(['--out=x', '--', '-p'], spec).positionals).toEqual(['-p']);
  });

  it('refuses an unknown flag, naming it, with the nearest known flag as the hint', () => {
    const error = usageError(['p', '--ouput', 'dir']);
    expect(error.code).toBe('ERR_USAGE');
    expect(error.message).toBe("unknown flag '--ouput'");
    expect(error.hint).toBe('did you mean --out?');
    expect(usageError(['--verbos=1']).hint).toBe('did you mean --verbose?');
    expect(usageError(['-x']).hint).toBe('known flags: --out, -o, --json, --verbose, --include');
  });

  it('refuses a stray argument, a flag without its value and a value given to a switch', () => {
    expect(usageError(['p', 'q']).message).toBe("unexpected argument 'q': this command takes one PROFILE");
    expect(usageError(['--out']).message).toBe('--out needs a value');
    expect(usageError(['--json=yes']).message).toBe('--json takes no value');
    expect(() => parseCommandLine(['a', 'b', 'c'], { flags: {} })).not.toThrow();
  });

  it('ends a bin with exit code 2, the hint and the usage', () => {
    let written = '';
    expect(binErrorExit(usageError(['--ouput']), (t) => (written += t), 'usage: tool [--out DIR]\n')).toBe(2);
    expect(written).toBe("ERR_USAGE: unknown flag '--ouput'\n  hint: did you mean --out?\nusage: tool [--out DIR]\n");
  });
});

describe('parseSubcommandLine', () => {
  const bin = {
    commands: {
      build: {
        flags: { json: { type: 'boolean' } },
        minPositionals: 1,
        maxPositionals: 1,
        positionalNames: 'OPTIONS.json',
      },
      inspect: { flags: { json: { type: 'boolean' } }, minPositionals: 1, maxPositionals: 1, positionalNames: 'IMAGE' },
    },
  } as const;
  const refused = (argv: string[]) => {
    try {
      parseSubcommandLine(argv, bin);
    } catch (error) {
      return error as UsageError;
    }
    throw new Error(`${argv.join(' ')} was accepted`);
  };

  it('parses the command and its own command line', () => {
    expect(parseSubcommandLine(['inspect', 'x.img', '--json'], bin)).toEqual({
      command: 'inspect',
      help: false,
      values: { json: true },
      positionals: ['x.img'],
    });
    expect(parseSubcommandLine(['--help'], bin)).toMatchObject({ command: undefined, help: true });
    expect(parseSubcommandLine(['build', '-h'], bin)).toMatchObject({ command: 'build', help: true });
  });

  it('refuses an unknown command with the nearest one, a missing or a stray argument, and flags of another command', () => {
    expect(refused(['biuld', 'x.json'])).toMatchObject({
      code: 'ERR_USAGE',
      message: "unknown command 'biuld'",
      hint: 'did you mean build?',
    });
    expect(refused(['--json', 'inspect'])).toMatchObject({
      message: "expected a command before '--json'",
      hint: 'commands: build, inspect',
    });
    expect(refused(['inspect'])).toMatchObject({ message: 'missing argument: expected IMAGE' });
    expect(refused(['inspect', 'a', 'b'])).toMatchObject({
      message: "unexpected argument 'b': this command takes one IMAGE",
    });
    expect(refused(['inspect', 'a', '--jsn'])).toMatchObject({
      message: "unknown flag '--jsn'",
      hint: 'did you mean --json?',
    });
  });
});

describe('closestWord', () => {
  it('finds a likely typo and nothing for an unrelated word', () => {
    expect(closestWord('pakages', ['packages', 'outputs'])).toBe('packages');
    expect(closestWord('zzz', ['packages', 'outputs'])).toBeUndefined();
  });
});
