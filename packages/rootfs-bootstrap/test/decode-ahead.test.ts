// DataDecodeAhead: the large xz data members of .deb files decoded ahead into plain tarballs (what
// `xz -d` gives for the member), the others left to the unpack; unpacking from a decoded tarball
// gives the tree the member gives.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDecodeAhead } from '../src/apt/deb/decode-ahead.js';
import { debMember, THREADED_XZ_BYTES } from '../src/apt/deb/tarball.js';
import { unpackDeb } from '../src/apt/deb/unpack.js';
import { craftedDeb, tarOf } from './deb-builder.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-decode-ahead-'));
const files = new Map<string, string>();
// Random bytes do not compress: the xz member is as large as the data, over the threshold.
const bigData = tarOf([
  { path: './usr/', type: 'Directory' },
  { path: './usr/lib/', type: 'Directory' },
  { path: './usr/lib/big.bin', body: randomBytes(THREADED_XZ_BYTES + (1 << 20)) },
  { path: './usr/lib/small.txt', body: 'small\n' },
  { path: './usr/lib/link', type: 'SymbolicLink', linkpath: 'small.txt' },
]);

beforeAll(() => {
  const write = (name: string, deb: Buffer) => {
    const file = join(work, `${name}.deb`);
    writeFileSync(file, deb);
    files.set(name, file);
  };
  write('big', craftedDeb(bigData, 'xz'));
  write('small-xz', craftedDeb(tarOf([{ path: './etc/x', body: 'x\n' }]), 'xz'));
  write('big-gz', craftedDeb(bigData, 'gz'));
  // The same large member with a byte flipped in its middle: xz refuses it.
  const damaged = readFileSync(files.get('big')!);
  const member = { offset: damaged.indexOf('data.tar.xz') + 60 };
  damaged[member.offset + (THREADED_XZ_BYTES >> 1)]! ^= 0xff;
  write('damaged', damaged);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('DataDecodeAhead', () => {
  it('decodes the large xz data members into the tarball xz gives, and leaves the others', async () => {
    const ahead = await DataDecodeAhead.start(work, files);
    const decoded = await ahead.take('big');
    expect(decoded).toBeDefined();
    const member = await debMember(files.get('big')!, 'data.tar');
    const raw = readFileSync(files.get('big')!).subarray(member.offset, member.offset + member.size);
    expect(readFileSync(decoded!).equals(execFileSync('xz', ['-dc'], { input: raw, maxBuffer: 1 << 28 }))).toBe(true);
    expect(readFileSync(decoded!).equals(bigData)).toBe(true);
    for (const name of ['small-xz', 'big-gz', 'damaged', 'not-a-package'])
      expect(await ahead.take(name), name).toBe(undefined);
    await ahead.close();
    expect(readdirSync(work).filter((f) => f.startsWith('.decoded-data-'))).toEqual([]);
  }, 120_000);

  it('unpacking from the decoded tarball gives the tree the member gives', async () => {
    const ahead = await DataDecodeAhead.start(work, new Map([['big', files.get('big')!]]));
    const trees = [];
    for (const decodedData of [undefined, await ahead.take('big')]) {
      const root = mkdtempSync(join(work, 'root-'));
      const result = await unpackDeb(files.get('big')!, root, {
        chown: false,
        ...(decodedData ? { decodedData } : {}),
      });
      const listing = execFileSync('find', ['.', '-printf', '%p %y %m %s %l\n'], { cwd: root, encoding: 'utf8' });
      trees.push({ listing, result, big: readFileSync(join(root, 'usr/lib/big.bin')) });
    }
    await ahead.close();
    expect(trees[1]!.listing).toBe(trees[0]!.listing);
    expect(trees[1]!.result).toEqual(trees[0]!.result);
    expect(trees[1]!.big.equals(trees[0]!.big)).toBe(true);
  }, 120_000);

  it('a damaged member is left to the unpack, which reports it', async () => {
    const ahead = await DataDecodeAhead.start(work, new Map([['damaged', files.get('damaged')!]]));
    expect(await ahead.take('damaged')).toBe(undefined);
    await ahead.close();
    const root = mkdtempSync(join(work, 'root-'));
    await expect(unpackDeb(files.get('damaged')!, root, { chown: false })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DEB_FORMAT',
    });
  }, 120_000);

  it('close stops the decoders still running and removes what they wrote', async () => {
    const ahead = await DataDecodeAhead.start(work, new Map([['big', files.get('big')!]]));
    await ahead.close();
    expect(readdirSync(work).filter((f) => f.startsWith('.decoded-data-'))).toEqual([]);
    // No decoder is left behind (a child of this process named xz).
    const children = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8');
        } catch {
          return '';
        }
      })
      .filter(
        (stat) => stat.includes('(xz)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid,
      );
    expect(children).toEqual([]);
    expect(existsSync(files.get('big')!)).toBe(true);
  }, 120_000);
});
