import { describe, expect, it } from 'vitest';
import { binErrorExit, closestWord, parseCommandLine, UsageError, type CommandLineSpec } from '@distroforge/core';

const spec: CommandLineSpec = {
  flags: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, include: { type: 'string', multiple: true } },
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

describe('closestWord', () => {
  it('finds a likely typo and nothing for an unrelated word', () => {
    expect(closestWord('pakages', ['packages', 'outputs'])).toBe('packages');
    expect(closestWord('zzz', ['packages', 'outputs'])).toBeUndefined();
  });
});
