import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { binErrorExit, DistroforgeError } from '@distroforge/core';

describe('binErrorExit', () => {
  it('describes a typed error (exit 1), prints the usage for a refused command line (exit 2), rethrows anything else', () => {
    const written: string[] = [];
    const write = (text: string) => void written.push(text);
    expect(binErrorExit(new DistroforgeError('ERR_X', 'broken', { path: '/p', hint: 'fix it' }), write, 'USAGE')).toBe(
      1,
    );
    expect(written[0]).toContain('ERR_X');
    expect(written[0]).toContain('fix it');
    let parseError: unknown;
    try {
      parseArgs({ args: ['--nope'], options: {} });
    } catch (error) {
      parseError = error;
    }
    expect(binErrorExit(parseError, write, 'USAGE')).toBe(2);
    expect(written[1]).toMatch(/--nope[\s\S]*USAGE$/);
    const bug = new TypeError('a bug');
    expect(() => binErrorExit(bug, write, 'USAGE')).toThrow(bug);
  });
});
