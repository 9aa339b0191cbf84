import { describe, expect, it } from 'vitest';
import { controlField, formatControlParagraph, parseControlFile } from '../src/apt/control-file.js';
import { parseRelations } from '../src/relations.js';

const sample = `Package: libc6
Version: 2.36-9+deb12u4
Multi-Arch: same
Priority: optional
Pre-Depends: libgcc-s1 (>= 3.0)
Depends: libgcc-s1
Provides: libc6-x32 (= 2.36), foo
Description: GNU C Library: Shared libraries
 Contains the standard libraries.
 .
 Second paragraph.

# a comment
Package: dash
Essential: yes
Depends: debianutils (>= 5.6-0.1), perl:any | perl-base (>= 5.20) | mawk:native
`;

describe('parseControlFile', () => {
  it('reads paragraphs, multi-line fields and skips comments', () => {
    const [libc, dash, ...rest] = parseControlFile(sample);
    expect(rest).toEqual([]);
    expect(libc?.Package).toBe('libc6');
    expect(libc?.Description).toBe(
      'GNU C Library: Shared libraries\nContains the standard libraries.\n.\nSecond paragraph.',
    );
    expect(dash && controlField(dash, 'essential')).toBe('yes');
  });

  it('round-trips through formatControlParagraph', () => {
    const [libc] = parseControlFile(sample);
    expect(parseControlFile(formatControlParagraph(libc!))[0]).toEqual(libc);
  });

  it('rejects a continuation line without a field', () => {
    expect(() => parseControlFile(' orphan\n')).toThrow(
      expect.objectContaining({ code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX' }),
    );
    expect(() => parseControlFile('no colon here\n')).toThrow(
      expect.objectContaining({ code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX' }),
    );
  });
});

describe('parseRelations', () => {
  it('parses alternatives, versions and architecture qualifiers', () => {
    expect(parseRelations('debianutils (>= 5.6-0.1), perl:any | perl-base (>= 5.20) | mawk:native')).toEqual([
      [{ name: 'debianutils', operator: '>=', version: '5.6-0.1' }],
      [
        { name: 'perl', archQualifier: 'any' },
        { name: 'perl-base', operator: '>=', version: '5.20' },
        { name: 'mawk', archQualifier: 'native' },
      ],
    ]);
  });

  it('parses versioned Provides and multi-line fields, drops arch lists and profiles', () => {
    expect(parseRelations('libc6-x32 (= 2.36),\n foo [amd64] <!nocheck>')).toEqual([
      [{ name: 'libc6-x32', operator: '=', version: '2.36' }],
      [{ name: 'foo' }],
    ]);
  });

  it('maps the obsolete < and > to <= and >=', () => {
    expect(parseRelations('a (< 1), b (> 2)')).toEqual([
      [{ name: 'a', operator: '<=', version: '1' }],
      [{ name: 'b', operator: '>=', version: '2' }],
    ]);
  });

  it('rejects garbage with a typed error', () => {
    expect(() => parseRelations('a (>= )')).toThrow(expect.objectContaining({ code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX' }));
  });
});
