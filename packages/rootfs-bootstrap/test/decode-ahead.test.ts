// DataDecodeAhead: the xz data members of .deb files decoded ahead into plain tarballs (what
// `xz -d` gives for the member), a few at a time in the order given, the others (not xz, damaged,
// not started when asked for) left to the unpack; unpacking from a decoded tarball gives the tree
// the member gives.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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
  /** What `xz -dc` gives for a package's data member. */
  const xzOracle = async (name: string) => {
    const member = await debMember(files.get(name)!, 'data.tar');
    const raw = readFileSync(files.get(name)!).subarray(member.offset, member.offset + member.size);
    return execFileSync('xz', ['-dc'], { input: raw, maxBuffer: 1 << 28 });
  };

  it('decodes the xz data members, large and small, into the tarball xz gives, and leaves the others', async () => {
    const ahead = await DataDecodeAhead.start(work, files);
    for (const name of ['big', 'small-xz']) {
      const decoded = await ahead.take(name);
      expect(decoded, name).toBeDefined();
      expect(readFileSync(decoded!).equals(await xzOracle(name)), name).toBe(true);
    }
    expect(readFileSync((await ahead.take('big'))!).equals(bigData)).toBe(true);
    for (const name of ['big-gz', 'damaged', 'not-a-package']) expect(await ahead.take(name), name).toBe(undefined);
    await ahead.close();
    expect(readdirSync(work).filter((f) => f.startsWith('.decoded-data-'))).toEqual([]);
  }, 120_000);

  it('minBytes: a smaller xz member is left to the unpack', async () => {
    const ahead = await DataDecodeAhead.start(work, files, { minBytes: THREADED_XZ_BYTES });
    expect(await ahead.take('small-xz')).toBe(undefined);
    expect(await ahead.take('big')).toBeDefined();
    await ahead.close();
  }, 120_000);

  it('decodes in the order given, at most `concurrency` at once; one not started when asked for is left to the unpack and never decoded', async () => {
    // Six copies of the large package: with one decoder, the first runs, the rest wait in order.
    const six = new Map(Array.from({ length: 6 }, (_, k) => [`big-${k}`, files.get('big')!] as const));
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, xzChildren().length);
    }, 5);
    const ahead = await DataDecodeAhead.start(work, six, { concurrency: 1 });
    onTestFinished(() => ahead.close());
    // big-5 is queued behind four others: asked for now, it is given up at once.
    expect(await ahead.take('big-5')).toBe(undefined);
    const first = await ahead.take('big-0');
    expect(first).toBeDefined();
    expect(readFileSync(first!).equals(bigData)).toBe(true);
    // The queue goes on in order; big-5 never runs (no tarball of it appears).
    expect(await ahead.take('big-1')).toBeDefined();
    const dir = readdirSync(work).find((f) => f.startsWith('.decoded-data-'))!;
    // Asked for in order, each is running by then (the next starts as one ends) and is waited for.
    for (const name of ['big-2', 'big-3', 'big-4']) expect(await ahead.take(name), name).toBeDefined();
    clearInterval(sampler);
    expect(most).toBe(1);
    expect(readdirSync(join(work, dir)).sort()).toEqual([
      'big-0.tar',
      'big-1.tar',
      'big-2.tar',
      'big-3.tar',
      'big-4.tar',
    ]);
    await ahead.close();
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

  it('close stops the decoders still running, gives up the queued ones and removes what they wrote', async () => {
    const three = new Map(Array.from({ length: 3 }, (_, k) => [`big-${k}`, files.get('big')!] as const));
    const ahead = await DataDecodeAhead.start(work, three, { concurrency: 1 });
    const asked = ahead.take('big-1');
    await ahead.close();
    expect(readdirSync(work).filter((f) => f.startsWith('.decoded-data-'))).toEqual([]);
    // No decoder is left behind.
    expect(xzChildren()).toEqual([]);
    expect(await asked).toBe(undefined);
    expect(existsSync(files.get('big')!)).toBe(true);
  }, 120_000);
});

/** The xz processes this process started (children named xz). */
function xzChildren(): string[] {
  return readdirSync('/proc')
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
}
