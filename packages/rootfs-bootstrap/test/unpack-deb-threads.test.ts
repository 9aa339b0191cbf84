import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@distroforge/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { THREADED_XZ_BYTES } from '../src/apt/deb/tarball.js';
import { unpackDeb } from '../src/apt/deb/unpack.js';
import { ar, compress, tarOf } from './deb-builder.js';

// The real decoder, watched: which thread count each data member was decoded with.
vi.mock('@distroforge/core', async (importOriginal) => {
  const original = await importOriginal<typeof import('@distroforge/core')>();
  return { ...original, decompress: vi.fn(original.decompress) };
});

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-xz-threads-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A .deb with one file `./blob` of `body`; its data tarball in xz blocks of 1 MiB (as dpkg-deb cuts large ones). */
function debWith(name: string, body: Buffer): string {
  const data = tarOf([{ path: './blob', body }]);
  const xz = execFileSync('xz', ['-0', '-T2', '--block-size=1048576', '-c'], { input: data, maxBuffer: 1 << 28 });
  const control = tarOf([
    {
      path: './control',
      body: `Package: ${name}\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n`,
    },
  ]);
  const file = join(work, `${name}.deb`);
  writeFileSync(
    file,
    ar([
      ['debian-binary', Buffer.from('2.0\n')],
      ['control.tar.xz', compress(control, 'xz')],
      ['data.tar.xz', xz],
    ]),
  );
  return file;
}

describe('unpackDeb: xz threads by data member size', () => {
  it('decodes a data member of THREADED_XZ_BYTES or more with one thread per core, a small one with one; both unpack the same bytes', async () => {
    // Random bytes do not compress: the member is as large as its contents.
    const large = randomBytes(THREADED_XZ_BYTES + (1 << 20));
    const small = randomBytes(64 * 1024);
    const decompress = vi.mocked(core.decompress);
    for (const [name, body, threads] of [
      ['large', large, 0],
      ['small', small, 1],
    ] as const) {
      const root = join(work, `root-${name}`);
      mkdirSync(root);
      decompress.mockClear();
      await unpackDeb(debWith(name, body), root, { chown: false });
      const dataCalls = decompress.mock.calls.filter(([, , options]) => options?.origin?.endsWith('data.tar.xz'));
      expect(dataCalls.map(([, , options]) => options?.threads)).toEqual([threads]);
      expect(readFileSync(join(root, 'blob')).equals(body)).toBe(true);
    }
  });
});
