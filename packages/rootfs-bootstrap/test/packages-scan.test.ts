import { describe, expect, it } from 'vitest';
import { forEachLine } from '../src/apt/byte-lines.js';
import { FIELD_INDEX, PACKAGES_FIELDS, scanPackages, type PackagesRow } from '../src/apt/packages-scan.js';

const index = `Package: libc6
Version: 2.36-9+deb12u4
Architecture: amd64
Multi-Arch: same
Priority: optional
Pre-Depends: libgcc-s1 (>= 3.0)
Depends: libgcc-s1,
 libcrypt1 (>= 1:4.4.10-10~)
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system. UNNEEDED-TEXT
 .
 Second paragraph.
Tag: role::shared-lib
MD5sum: 00000000000000000000000000000000
SHA256: ab12
Filename: pool/main/g/glibc/libc6_2.36-9+deb12u4_amd64.deb

Package: dash\r
Essential: yes\r
Version: 0.5.12-2\r
Depends: debianutils (>= 5.6-0.1)\r
\r
Package: perl-base
Version: 5.36.0-7
Provides: perl5-base, perl-xs-api-36
`;

/** The rows of `text` fed to the scanner in chunks of `size` bytes. */
async function rowsOf(text: string, size: number): Promise<PackagesRow[]> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const rows: PackagesRow[] = [];
  await scanPackages(chunks, 'Packages', (row) => rows.push(row));
  return rows;
}

describe('scanPackages', () => {
  it('keeps only the fields resolution needs, one row per paragraph', async () => {
    const [libc, dash, perl, ...rest] = await rowsOf(index, 1 << 20);
    expect(rest).toEqual([]);
    expect(libc).toHaveLength(PACKAGES_FIELDS.length);
    expect(libc![FIELD_INDEX.Package]).toBe('libc6');
    // A folded field: its lines joined by a space, each trimmed.
    expect(libc![FIELD_INDEX.Depends]).toBe('libgcc-s1, libcrypt1 (>= 1:4.4.10-10~)');
    expect(libc![FIELD_INDEX.Filename]).toBe('pool/main/g/glibc/libc6_2.36-9+deb12u4_amd64.deb');
    expect(libc![FIELD_INDEX.Recommends]).toBeNull();
    // Descriptions, tags and other checksums are never kept.
    expect(JSON.stringify([libc, dash, perl])).not.toMatch(/UNNEEDED|role::|00000000|Second/);
    // CRLF lines and a CR-only separator line.
    expect(dash![FIELD_INDEX.Essential]).toBe('yes');
    expect(dash![FIELD_INDEX.Depends]).toBe('debianutils (>= 5.6-0.1)');
    expect(perl![FIELD_INDEX.Provides]).toBe('perl5-base, perl-xs-api-36');
  });

  it('gives the same rows whatever the chunks (lines cut anywhere, even inside a character)', async () => {
    const text = `${index}\nPackage: ünïcode\nVersion: 1\n`;
    const whole = await rowsOf(text, 1 << 20);
    for (const size of [1, 2, 3, 7, 64]) expect(await rowsOf(text, size)).toEqual(whole);
    expect(whole.map((row) => row[FIELD_INDEX.Package])).toEqual(['libc6', 'dash', 'perl-base', 'ünïcode']);
  });

  it('emits each paragraph as soon as it ends, before the rest of the stream is read', async () => {
    let chunksRead = 0;
    const seenAt: number[] = [];
    async function* paragraphs() {
      for (let i = 0; i < 5; i++) {
        chunksRead++;
        yield Buffer.from(`Package: p${i}\nVersion: 1\nDescription: x\n long text\n\n`);
      }
    }
    await scanPackages(paragraphs(), 'Packages', () => seenAt.push(chunksRead));
    // Row i is emitted while chunk i is the last one read: nothing waits for the whole index.
    expect(seenAt).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a line that is neither a field nor a continuation', async () => {
    await expect(rowsOf('Package: a\nnot a field\n', 4)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_CONTROL_SYNTAX',
      value: 'not a field',
    });
  });
});

describe('forEachLine', () => {
  it('reports each line with its position in the stream, across chunk boundaries', async () => {
    const text = 'first\n\nsecond line\nthird, longer than a chunk\nlast without newline';
    const expected: [string, number][] = [];
    for (let position = 0; position <= text.length; ) {
      const nl = text.indexOf('\n', position);
      const end = nl === -1 ? text.length : nl;
      expected.push([text.slice(position, end), position]);
      position = end + 1;
    }
    for (const size of [1, 4, 9, 100]) {
      const bytes = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
        bytes.subarray(i * size, (i + 1) * size),
      );
      const lines: [string, number][] = [];
      await forEachLine(chunks, (buffer, start, end, position) =>
        lines.push([buffer.toString('utf8', start, end), position]),
      );
      expect(lines, `chunks of ${size}`).toEqual(expected);
    }
  });
});
