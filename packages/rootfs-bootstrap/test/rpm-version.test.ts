import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compareRpmVersions, parseRpmEvr, rpmRangesOverlap, rpmvercmp } from '../src/rpm/version.js';

/** Pairs that exercise every branch of rpmvercmp: numbers, letters, separators, `~`, `^`, epochs, releases. */
const PAIRS: [string, string][] = [
  ['1.0', '1.0'],
  ['1.0', '2.0'],
  ['2.0.1', '2.0'],
  ['2.0.1a', '2.0.1'],
  ['5.5p1', '5.5p2'],
  ['5.5p10', '5.5p1'],
  ['10xyz', '10.1xyz'],
  ['xyz10', 'xyz10.1'],
  ['xyz.4', '8'],
  ['xyz.4', '2'],
  ['5.5p1', '5.5.p1'],
  ['5.5p1', '5.5.p10'],
  ['10b2', '10a1'],
  ['1.0aa', '1.0a'],
  ['10.0001', '10.1'],
  ['10.0001', '10.0039'],
  ['4.999.9', '5.0'],
  ['20101121', '20101122'],
  ['2_0', '2_0'],
  ['2.0', '2_0'],
  ['a', 'a'],
  ['a+', 'a+'],
  ['a+', 'a_'],
  ['+a', '+a'],
  ['+_', '_+'],
  ['+', '_'],
  ['1.0', '1.0.'],
  ['1.0~rc1', '1.0~rc1'],
  ['1.0~rc1', '1.0'],
  ['1.0~rc1', '1.0~rc2'],
  ['1.0~rc1~git123', '1.0~rc1'],
  ['1.0~rc1', '1.0arc1'],
  ['1.0^', '1.0^'],
  ['1.0^', '1.0'],
  ['1.0^git1', '1.0'],
  ['1.0^git1', '1.0^git2'],
  ['1.0^git1', '1.01'],
  ['1.0^20160101', '1.0.1'],
  ['1.0^20160101^git1', '1.0^20160101'],
  ['1.0~rc1^git1', '1.0~rc1'],
  ['1.0^git1~pre', '1.0^git1'],
  ['1.0^git1', '1.0~rc1'],
  ['0:1.0-1', '1.0-1'],
  ['1:1.0-1', '2.0-1'],
  ['1.0-1', '1.0-2'],
  ['1.0', '1.0-2'],
  ['2:0.1', '1:9.9-9'],
  ['1.0-1.el9', '1.0-1.el9_2'],
  ['1.2.3-4.fc40', '1.2.3-4.fc40.1'],
  ['0.9-10', '0.10-1'],
  ['1.0-1~beta', '1.0-1'],
  ['1.a', '1.1'],
  ['1.0-', '1.0-0'],
];

describe('rpmvercmp', () => {
  it('agrees with rpm.vercmp of the installed rpm on every pair, both ways round', async () => {
    const lua = PAIRS.flatMap(([a, b]) => [
      [a, b],
      [b, a],
    ])
      .map(([a, b]) => `print(rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}) .. " ")`)
      .join(' ');
    const { stdout } = await execa('rpm', ['--eval', `%{lua: ${lua}}`]);
    const expected = stdout.trim().split(/\s+/).map(Number);
    const ours = PAIRS.flatMap(([a, b]) => [compareRpmVersions(a, b), compareRpmVersions(b, a)]);
    expect(ours).toEqual(expected);
    // The table is not trivial: all three outcomes occur.
    expect(new Set(expected)).toEqual(new Set([-1, 0, 1]));
  });

  it('compares bare versions segment by segment', () => {
    expect(rpmvercmp('1.0~rc1', '1.0')).toBe(-1);
    expect(rpmvercmp('1.0^git1', '1.0')).toBe(1);
    expect(rpmvercmp('1.0^git1', '1.0.1')).toBe(-1);
  });

  it('parses epoch, version and release', () => {
    expect(parseRpmEvr('3:1.2-4.el9')).toEqual({ epoch: 3, version: '1.2', release: '4.el9' });
    expect(parseRpmEvr('1.2')).toEqual({ epoch: 0, version: '1.2', release: undefined });
    expect(parseRpmEvr('1.2-3-4')).toEqual({ epoch: 0, version: '1.2-3', release: '4' });
  });
});

describe('rpmRangesOverlap (rpmdsCompare semantics, cases derived from rpm lib/rpmds.c)', () => {
  const provide = (evr: string) => ({ operator: '=' as const, evr });
  it.each([
    [provide('1.2-3'), { operator: '>=' as const, evr: '1.2' }, true], // a requirement without release matches every release
    [provide('1.2-3'), { operator: '<' as const, evr: '1.2' }, true], // ... even with <, as rpm does
    [provide('2.0'), { operator: '<' as const, evr: '2.0' }, false],
    [provide('2.0~rc1-1'), { operator: '>=' as const, evr: '2.0' }, false],
    [provide('1:1.0-1'), { operator: '>=' as const, evr: '2.0' }, true], // the epoch wins
    [provide('1.0-1'), { operator: '>' as const, evr: '0:1.0-1' }, false],
    [{}, { operator: '>=' as const, evr: '9' }, true], // an unversioned provide meets any version
    [{ operator: '>=' as const, evr: '2' }, { operator: '<' as const, evr: '3' }, true],
    [{ operator: '>=' as const, evr: '3' }, { operator: '<' as const, evr: '3' }, false],
  ])('%o against %o: %s', (a, b, expected) => {
    expect(rpmRangesOverlap(a, b)).toBe(expected);
  });
});
