import { describe, expect, it } from 'vitest';
import {
  fnmatch,
  hookUnmetDepends,
  hookMatches,
  matchPatterns,
  parseAlpmHook,
  splitWords,
} from '../src/pacman/install/alpm-hooks.js';
import { parsePacmanDependency } from '../src/pacman/dependency.js';

describe('alpm hook files', () => {
  it('fnmatch without flags: * and ? cross /, classes with ranges and negation, backslash escapes, anchored both ends', () => {
    const table: [string, string, boolean][] = [
      ['usr/lib/modules/*', 'usr/lib/modules/6.1/vmlinuz', true],
      ['usr/lib/modules/*/vmlinuz', 'usr/lib/modules/6.1/vmlinuz', true],
      ['*.hook', 'a/b.hook', true],
      ['?', '/', true],
      ['lib[0-9]*', 'lib2x', true],
      ['lib[!0-9]*', 'lib2x', false],
      ['lib[^a]', 'libb', true],
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false],
      ['usr/share/hooked/*', 'usr/share/hooked/', true],
      ['usr/share/hooked/*', 'usr/share/hooked', false],
      ['a.b', 'axb', false],
      ['[', '[', true],
      ['x+(y)', 'x+(y)', true],
    ];
    expect(table.map(([p, s]) => fnmatch(p, s))).toEqual(table.map(([, , want]) => want));
  });

  it('a target list: the last matching pattern decides, ! negates, \\! is a literal !', () => {
    expect(matchPatterns(['usr/*', '!usr/share/*'], 'usr/bin/x')).toBe(true);
    expect(matchPatterns(['usr/*', '!usr/share/*'], 'usr/share/x')).toBe(false);
    expect(matchPatterns(['!usr/share/*', 'usr/*'], 'usr/share/x')).toBe(true);
    expect(matchPatterns(['\\!x'], '!x')).toBe(true);
    expect(matchPatterns(['a'], 'b')).toBe(false);
  });

  it("Exec is split into words as alpm's wordsplit does (quotes group, a backslash escapes a quote, nothing else expands)", () => {
    const bad = () => {
      throw new Error('unbalanced');
    };
    expect(splitWords('  /bin/sh -c \'echo "$1" > x\'  ', bad)).toEqual(['/bin/sh', '-c', 'echo "$1" > x']);
    expect(splitWords('a "b c"d e\\"f', bad)).toEqual(['a', 'b cd', 'e"f']);
    expect(() => splitWords("a 'b", bad)).toThrow('unbalanced');
  });

  it('parses triggers and actions; a file without triggers masks; a malformed one is ERR_PACMAN_HOOK_SYNTAX', () => {
    const hook = parseAlpmHook(
      '# c\n[Trigger]\nType = Path\nOperation = Install\nOperation = Upgrade\nTarget = usr/*\n\n[Action]\nDescription = d\nWhen = PostTransaction\nDepends = sh>=1\nNeedsTargets\nExec = /bin/true x\n',
      '10-a.hook',
      '/f',
    );
    expect(hook).toMatchObject({
      when: 'PostTransaction',
      needsTargets: true,
      abortOnFail: false,
      exec: ['/bin/true', 'x'],
      depends: ['sh>=1'],
      triggers: [{ type: 'Path', operations: ['Install', 'Upgrade'], targets: ['usr/*'] }],
    });
    expect(parseAlpmHook('', 'masked.hook', '/dev/null').triggers).toEqual([]);
    for (const text of [
      '[Trigger]\nType = Path\nTarget = x\n[Action]\nWhen = PostTransaction\nExec = /x\n',
      '[Bogus]\n',
      'Key = v\n',
      '[Trigger]\nType = Nope\n',
      '[Trigger]\nType = Path\nOperation = Install\nTarget = x\n[Action]\nExec = /x\n',
    ]) {
      expect(() => parseAlpmHook(text, 'bad.hook', '/bad'), text).toThrow(
        expect.objectContaining({ code: 'ERR_PACMAN_HOOK_SYNTAX', path: '/bad' }),
      );
    }
  });

  it('matches Install triggers of a fresh transaction, collecting sorted unique targets; Depends by name, version or provide', () => {
    const hook = parseAlpmHook(
      '[Trigger]\nType = Package\nOperation = Install\nTarget = b*\n[Trigger]\nType = Path\nOperation = Install\nTarget = usr/*\n[Trigger]\nType = Package\nOperation = Remove\nTarget = *\n[Action]\nWhen = PostTransaction\nExec = /x\n',
      'h.hook',
      '/h',
    );
    expect(
      hookMatches(hook, [
        { name: 'bash', files: ['usr/', 'usr/bin/bash'] },
        { name: 'a', files: ['usr/'] },
      ]),
    ).toEqual({ triggered: true, targets: ['bash', 'usr/', 'usr/bin/bash'] });
    expect(hookMatches(hook, [{ name: 'a', files: ['etc/x'] }]).triggered).toBe(false);
    const needs = { ...hook, depends: ['sh>=1', 'zlib'] };
    const installed = [
      { name: 'zlib', version: '1.3-1', provides: [] },
      { name: 'dash', version: '0.5-1', provides: [parsePacmanDependency('sh=0.5')] },
    ];
    expect(hookUnmetDepends(needs, installed)).toEqual(['sh>=1']);
  });
});
