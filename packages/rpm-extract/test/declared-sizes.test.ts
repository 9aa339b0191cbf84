import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractRpm, listRpm, readRpm, RpmError, verifyRpm, type RpmErrorCode } from '@distroforge/rpm-extract';
import { main } from '../src/cli-main.js';
import { craftRpm, S_IFDIR, S_IFLNK, S_IFREG, type CraftedFile } from './crafted-rpm.js';
import { buildHeader, buildPackage } from './header-builder.js';

// Every length a package declares is bounded before anything of that length is read or
// allocated. The packages are digest-consistent, so nothing but the bounds stops them.

const GiB = 2 ** 30;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-sizes-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<RpmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpmError);
  return error as RpmError;
}

/** Runs `fn`, sampling the process's RSS meanwhile; returns the peak growth in bytes. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}

describe('a symlink target of 1 GiB (gzip of zeros: a package of a few MB)', () => {
  let consistent: string;
  let payloadOnly: Buffer;

  beforeAll(async () => {
    // The header declares the 1 GiB the payload carries (FILESIZES), as a digest-consistent attack would.
    const declared = await craftRpm({
      files: [{ path: '/l', mode: S_IFLNK | 0o777, linkTo: '', size: GiB }],
      members: [{ name: './l', mode: S_IFLNK | 0o777, zeros: GiB }],
    });
    consistent = join(work, 'declared.rpm');
    writeFileSync(consistent, declared);
    // The header says 7 bytes; only the payload member claims 1 GiB.
    payloadOnly = await craftRpm({
      files: [{ path: '/l', mode: S_IFLNK | 0o777, linkTo: '', size: 7 }],
      members: [{ name: './l', mode: S_IFLNK | 0o777, zeros: GiB }],
    });
    expect(declared.length).toBeLessThan(8 * 2 ** 20);
  }, 60_000);

  it('declared in the header: read, list, verify and extract all refuse it (ERR_RPM_LIMIT_EXCEEDED) within 256 MiB of RSS', async () => {
    const growth = await rssGrowth(async () => {
      // One at a time: promises made together and awaited in turn leave the later ones' rejections
      // unhandled for a while (vitest fails the run for that when the machine is slow).
      for (const attempt of [
        () => readRpm(consistent),
        () => listRpm(consistent),
        () => verifyRpm(consistent),
        () => extractRpm(consistent, join(work, 'declared')),
      ]) {
        const error = await failure(attempt());
        expect(error.code).toBe('ERR_RPM_LIMIT_EXCEEDED');
        expect(error.message).toContain('/l');
      }
    });
    expect(growth).toBeLessThan(256 * 2 ** 20);
    expect(existsSync(join(work, 'declared'))).toBe(false);
  });

  it('declared in the header: the command line exits 1 with the code for --list, --info and --verify (never "digests OK")', async () => {
    for (const flag of ['--list', '--info', '--verify']) {
      const { code, out, err } = await cli(consistent, flag);
      expect(code).toBe(1);
      expect(err).toContain('ERR_RPM_LIMIT_EXCEEDED');
      expect(out).not.toContain('digests OK');
    }
  });

  it('carried only by the payload: extraction (verifying or not) refuses it, verify reports it, within 256 MiB of RSS', async () => {
    expect((await readRpm(payloadOnly)).files[0]?.size).toBe(7);
    const growth = await rssGrowth(async () => {
      for (const verify of [true, false]) {
        const error = await failure(extractRpm(payloadOnly, join(work, `payload-${verify}`), { verify }));
        expect(error.code).toBe('ERR_RPM_LIMIT_EXCEEDED');
        expect(error.path).toBe('/l');
        expect(existsSync(join(work, `payload-${verify}`))).toBe(false);
      }
      const verdict = await verifyRpm(payloadOnly);
      expect(verdict.ok).toBe(false);
      expect(verdict.checks.find((c) => c.name === 'payload')?.actual).toMatch(/^ERR_RPM_LIMIT_EXCEEDED: .*\/l/);
    });
    expect(growth).toBeLessThan(256 * 2 ** 20);
  });
});

describe('symlink targets at PATH_MAX', () => {
  const target = (n: number) => `/${'t'.repeat(n - 1)}`;
  const cases: Array<{ bytes: number; where: 'header' | 'payload'; refused?: RpmErrorCode }> = [
    { bytes: 4095, where: 'header' },
    { bytes: 4095, where: 'payload' },
    { bytes: 4096, where: 'header', refused: 'ERR_RPM_LIMIT_EXCEEDED' },
    { bytes: 4096, where: 'payload', refused: 'ERR_RPM_LIMIT_EXCEEDED' },
  ];
  it.each(cases.map((c) => ({ ...c, outcome: c.refused ?? 'extracted, readlink gives it back' })))(
    '$bytes bytes, named by the $where: $outcome',
    async ({ bytes, where, refused }) => {
      const linkTo = target(bytes);
      // From the payload: FILELINKTOS empty, FILESIZES honest, the member carries the target.
      const file: CraftedFile =
        where === 'header'
          ? { path: '/l', mode: S_IFLNK | 0o777, linkTo }
          : { path: '/l', mode: S_IFLNK | 0o777, linkTo: '', size: 4000 };
      const members = where === 'header' ? undefined : [{ name: './l', mode: S_IFLNK | 0o777, data: linkTo }];
      const rpm = await craftRpm({ files: [file], members });
      const dir = join(work, `link-${bytes}-${where}`);
      if (refused) {
        expect((await failure(extractRpm(rpm, dir))).code).toBe(refused);
      } else {
        await extractRpm(rpm, dir);
        expect(readlinkSync(join(dir, 'l'))).toBe(linkTo);
      }
    },
  );
});

describe('file paths', () => {
  it('a path of 4095 bytes is read; 4096 is ERR_RPM_LIMIT_EXCEEDED', async () => {
    const path = (n: number) => `/d/${'p'.repeat(n - 3)}`;
    const ok = await craftRpm({ files: [{ path: path(4095), mode: S_IFREG | 0o644, data: 'x' }] });
    expect(Buffer.byteLength((await readRpm(ok)).files[0]!.path)).toBe(4095);
    const long = await craftRpm({ files: [{ path: path(4096), mode: S_IFREG | 0o644, data: 'x' }] });
    const error = await failure(readRpm(long));
    expect(error.code).toBe('ERR_RPM_LIMIT_EXCEEDED');
    expect(error.value).toBe(4096);
  });

  it('thousands of files below one 4000-byte directory (a small header naming megabytes of paths) are refused; 200 are read', async () => {
    const dir = `/${'d'.repeat(3998)}/`;
    const files = (n: number) =>
      Array.from({ length: n }, (_, i): CraftedFile => ({ path: `${dir}${i}`, mode: S_IFDIR | 0o755 }));
    const few = await craftRpm({ files: files(200) });
    expect((await readRpm(few)).files).toHaveLength(200);
    const many = await craftRpm({ files: files(4000) });
    expect(many.length).toBeLessThan(256 * 1024);
    const error = await failure(readRpm(many));
    expect(error.code).toBe('ERR_RPM_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/file paths add up/);
  });
});

describe('payload archive names', () => {
  it.each([
    {
      label: 'a 5000-byte member name',
      member: { name: `./${'n'.repeat(4998)}`, mode: S_IFREG | 0o644, data: 'x' },
      value: 5001,
    },
    {
      label: 'a namesize field of 2^31 over a short name',
      member: { name: './f', mode: S_IFREG | 0o644, data: 'x', nameSize: 2 ** 31 },
      value: 2 ** 31,
    },
  ])(
    '$label is ERR_RPM_LIMIT_EXCEEDED for extraction and a failed payload check for verify',
    async ({ member, value }) => {
      const rpm = await craftRpm({ files: [{ path: '/f', mode: S_IFREG | 0o644, data: 'x' }], members: [member] });
      const error = await failure(extractRpm(rpm, join(work, `name-${value}`), { verify: false }));
      expect(error.code).toBe('ERR_RPM_LIMIT_EXCEEDED');
      expect(error.value).toBe(value);
      const verdict = await verifyRpm(rpm);
      expect(verdict.ok).toBe(false);
      expect(verdict.checks.find((c) => c.name === 'payload')?.actual).toMatch(/^ERR_RPM_LIMIT_EXCEEDED/);
    },
  );
});

describe('header structure', () => {
  it('a header declaring more index and data than the file holds fails before reading it (ERR_RPM_TRUNCATED naming the declared size)', async () => {
    const rpm = await craftRpm({ files: [{ path: '/f', mode: S_IFREG | 0o644, data: 'x' }] });
    // The signature header's data size, right after the 96-byte lead and its magic, reserved word and index count.
    const patched = Buffer.from(rpm);
    patched.writeUInt32BE(200 * 2 ** 20, 96 + 12);
    const file = join(work, 'oversized-header.rpm');
    writeFileSync(file, patched);
    for (const source of [file, patched]) {
      const error = await failure(readRpm(source));
      expect(error.code).toBe('ERR_RPM_TRUNCATED');
      expect(error.value).toBe(patched.readUInt32BE(96 + 8) * 16 + 200 * 2 ** 20);
    }
  });

  it('index entries that all decode the same data (each string array a value per byte) are ERR_RPM_HEADER_OVERFLOW', async () => {
    const dataSize = 4096;
    const entries = 64;
    const header = Buffer.alloc(16 + entries * 16 + dataSize);
    Buffer.from([0x8e, 0xad, 0xe8, 0x01]).copy(header);
    header.writeUInt32BE(entries, 8);
    header.writeUInt32BE(dataSize, 12);
    for (let i = 0; i < entries; i++) {
      const at = 16 + i * 16;
      header.writeUInt32BE(5000 + i, at);
      header.writeUInt32BE(8, at + 4);
      header.writeInt32BE(0, at + 8);
      header.writeUInt32BE(dataSize, at + 12);
    }
    const rpm = buildPackage(
      'overlap-1-1',
      header,
      buildHeader([{ tag: 1000, type: 6, value: 'x' }], 63),
      Buffer.alloc(0),
    );
    const error = await failure(readRpm(rpm));
    expect(error.code).toBe('ERR_RPM_HEADER_OVERFLOW');
    expect(error.message).toMatch(/overlap/);
  });
});
