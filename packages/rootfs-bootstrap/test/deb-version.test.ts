import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDebVersions, parseDebVersion } from '../src/apt/version.js';

// [a, b, expected sign of compare(a, b)] — cases from Debian policy 5.6.12 and dpkg's test suite.
const table: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '1.1', -1],
  ['1.10', '1.9', 1],
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0+b1', -1],
  ['1.0a', '1.0', 1],
  ['1.0-1', '1.0-1.1', -1],
  ['1:0.1', '2.0', 1],
  ['0:1.0', '1.0', 0],
  ['1.0-1', '1.0', 1],
  ['2.36-9+deb12u14', '2.36-9+deb12u4', 1],
  ['12.2.0-14+deb12u1', '12.2.0-14', 1],
  ['1.2.3-1~bpo12+1', '1.2.3-1', -1],
  ['7.6.q-19', '7.6-19', 1],
  ['1:5.4-20', '1:5.5-1', -1],
  ['1.2-3-4', '1.2-3-3', 1],
  ['0001', '1', 0],
  ['a', 'b', -1],
  ['1.0.0', '1.0', 1],
  ['1.0+dfsg', '1.0.1', -1],
  ['2:1.0', '1:9.9', 1],
  ['37~deb12u1', '37', -1],
];

describe('compareDebVersions', () => {
  it.each(table)('%s vs %s -> %i', (a, b, expected) => {
    expect(Math.sign(compareDebVersions(a, b)) || 0).toBe(expected);
    expect(Math.sign(compareDebVersions(b, a)) || 0).toBe(-expected || 0);
  });

  it('agrees with dpkg --compare-versions on the whole table', () => {
    for (const [a, b] of table) {
      const ours = Math.sign(compareDebVersions(a, b));
      const op = ours < 0 ? 'lt' : ours > 0 ? 'gt' : 'eq';
      // dpkg exits 0 when the relation holds.
      expect(() => execFileSync('dpkg', ['--compare-versions', a, op, b]), `${a} ${op} ${b}`).not.toThrow();
    }
  });

  it('splits epoch, upstream and revision', () => {
    expect(parseDebVersion('1:2.3-4-5')).toEqual({ epoch: 1, upstream: '2.3-4', revision: '5' });
    expect(parseDebVersion('2.3')).toEqual({ epoch: 0, upstream: '2.3', revision: '' });
  });

  it('rejects malformed versions with a typed error', () => {
    expect(() => parseDebVersion('1.0 beta')).toThrow(
      expect.objectContaining({ code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX' }),
    );
    expect(() => parseDebVersion('')).toThrow(expect.objectContaining({ code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX' }));
  });
});
