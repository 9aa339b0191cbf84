import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  linkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fileTarSource,
  memoryTarSource,
  TarStreamParser,
  tarHeaders,
  type TarHeader,
} from '../src/pacman/tar-headers.js';
import { ustar } from './pacman-tar-writer.js';

const work = mkdtempSync(join(tmpdir(), 'tar-headers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fail = (what: string, offset: number): never => {
  throw new Error(`${what} at byte ${offset}`);
};

/** A tree with what package archives hold: long names and link targets (over ustar's 100 bytes), links of both kinds, modes, owners, times, a fifo. */
function tree(): string {
  const dir = join(work, 'tree');
  const deep = join(dir, 'usr/lib/modules', 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, `${'f'.repeat(120)}.ko`), Buffer.alloc(70_000, 7));
  writeFileSync(join(dir, 'usr/lib/setuid'), '#!/bin/sh\n', { mode: 0o4755 });
  linkSync(join(dir, 'usr/lib/setuid'), join(dir, 'usr/lib/hardlinked'));
  symlinkSync(`../${'t'.repeat(150)}`, join(dir, 'usr/lib/long-target'));
  symlinkSync('setuid', join(dir, 'usr/lib/short-target'));
  execFileSync('mkfifo', [join(dir, 'usr/lib/fifo')]);
  utimesSync(join(dir, 'usr/lib/setuid'), 1_700_000_000, 1_700_000_000);
  return dir;
}

/** What node-tar (another reader) sees in the same archive: the oracle. */
async function nodeTarView(archive: Buffer): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () =>
      seen.push({
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        mtime: entry.mtime ? Math.floor(entry.mtime.getTime() / 1000) : undefined,
        linkpath: entry.linkpath ?? '',
        data: Buffer.concat(chunks).toString('base64'),
      }),
    );
  });
  await new Promise<void>((done, failed) => {
    parser.on('end', done);
    parser.on('error', failed);
    parser.end(archive);
  });
  return seen;
}

const NODE_TAR_TYPE: Record<TarHeader['type'], string> = {
  file: 'File',
  directory: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
  char: 'CharacterDevice',
  block: 'BlockDevice',
  fifo: 'FIFO',
  other: 'other',
};

describe('tarHeaders', () => {
  const dir = tree();
  for (const [name, argv] of [
    ['bsdtar pax (what makepkg writes)', ['bsdtar', '--format=pax', '-cf', '-', '-C', dir, '.']],
    ['GNU tar gnu format (L/K long names)', ['tar', '--format=gnu', '-cf', '-', '-C', dir, '.']],
    ['GNU tar ustar', ['tar', '--format=ustar', '-cf', '-', '-C', dir, 'usr/lib/setuid', 'usr/lib/fifo']],
  ] as const) {
    it(`reads a ${name} archive as node-tar does: names, types, modes, owners, times, link targets, data`, async () => {
      const archive = execFileSync(argv[0], argv.slice(1), { maxBuffer: 1 << 26 });
      const file = join(work, `${name.replace(/\W+/g, '-')}.tar`);
      writeFileSync(file, archive);
      const fd = openSync(file, 'r');
      try {
        const source = fileTarSource(fd);
        const ours = [...tarHeaders(source, fail)].map((h) => ({
          path: h.path,
          type: NODE_TAR_TYPE[h.type],
          mode: h.mode,
          uid: h.uid,
          gid: h.gid,
          mtime: h.mtime === undefined ? undefined : Math.floor(h.mtime),
          linkpath: h.linkpath,
          data: source.read(h.offset, h.size).toString('base64'),
        }));
        const theirs = await nodeTarView(archive);
        expect(ours).toEqual(theirs);
        // The archive holds what the tree does: the long names survive, and each kind is there.
        expect(ours.some((m) => (m.path as string).endsWith(`${'f'.repeat(120)}.ko`))).toBe(
          name.includes('ustar') ? false : true,
        );
        expect(ours.some((m) => m.type === 'FIFO')).toBe(true);
      } finally {
        closeSync(fd);
      }
    });
  }

  it('reads the same headers from memory as from a file', () => {
    const archive = execFileSync('bsdtar', ['--format=pax', '-cf', '-', '-C', dir, '.'], { maxBuffer: 1 << 26 });
    const file = join(work, 'same.tar');
    writeFileSync(file, archive);
    const fd = openSync(file, 'r');
    try {
      expect([...tarHeaders(fileTarSource(fd), fail)]).toEqual([...tarHeaders(memoryTarSource(archive), fail)]);
    } finally {
      closeSync(fd);
    }
  });

  const good = ustar([
    { path: 'a', data: 'x'.repeat(600) },
    { path: 'b', data: 'y' },
  ]);
  for (const [what, archive, message] of [
    ['a damaged header (checksum)', Buffer.concat([Buffer.from('z'), good.subarray(1)]), /wrong checksum/],
    ['an archive cut inside a member', good.subarray(0, 1024), /more than the archive holds/],
    ['an archive cut between members, without its end marker', good.subarray(0, 1536 + 100), /truncated/],
    [
      'a pax path longer than PATH_MAX',
      ustar([
        { path: 'h', type: 'x', data: pax('path', 'p'.repeat(5000)) },
        { path: 'x', data: '' },
      ]),
      /member path of 5000 bytes/,
    ],
    [
      'an oversized extended header',
      ustar([{ path: 'h', type: 'L', data: 'n'.repeat(70_000) }]),
      /extended header of 70000 bytes/,
    ],
    ['a malformed pax record', ustar([{ path: 'h', type: 'x', data: '99 path=x\n' }, { path: 'x' }]), /malformed pax/],
    [
      'a pax size that is not a number',
      ustar([{ path: 'h', type: 'x', data: pax('size', '1e9') }, { path: 'x' }]),
      /malformed pax/,
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      expect(() => [...tarHeaders(memoryTarSource(archive), fail)]).toThrow(message);
    });
  }

  it('lets pax override the size, link target, owners and a fractional mtime', () => {
    const archive = ustar([
      {
        path: 'h',
        type: 'x',
        data: pax('size', '3') + pax('uid', '1000') + pax('gid', '100') + pax('mtime', '1700000000.5'),
      },
      { path: 'f', data: 'abc', declaredSize: 0 },
    ]);
    const [header] = [...tarHeaders(memoryTarSource(archive), fail)];
    expect(header).toMatchObject({ path: 'f', size: 3, uid: 1000, gid: 100, mtime: 1_700_000_000.5 });
  });
});

/** Feeds `archive` to a TarStreamParser in chunks of `size` bytes; returns each member's header and data. */
function streamed(archive: Buffer, size: number): { header: TarHeader; data: string }[] {
  const members: { header: TarHeader; data: string }[] = [];
  const parser = new TarStreamParser((header) => {
    const chunks: Buffer[] = [];
    const entry = { header, data: '' };
    members.push(entry);
    return {
      write: (chunk) => chunks.push(Buffer.from(chunk)),
      end: () => {
        entry.data = Buffer.concat(chunks).toString('base64');
      },
    };
  }, fail);
  for (let at = 0; at < archive.length; at += size) parser.write(archive.subarray(at, at + size));
  parser.end();
  return members;
}

describe('TarStreamParser', () => {
  const dir = join(work, 'tree');
  const archive = execFileSync('bsdtar', ['--format=pax', '-cf', '-', '-C', dir, '.'], { maxBuffer: 1 << 26 });
  const expected = [...tarHeaders(memoryTarSource(archive), fail)].map((header) => ({
    header,
    data: header.type === 'file' ? archive.subarray(header.offset, header.offset + header.size).toString('base64') : '',
  }));

  for (const size of [1, 7, 511, 512, 513, 4096, 1 << 20]) {
    it(`gives what tarHeaders gives, data too, fed in chunks of ${size} bytes`, () => {
      expect(streamed(archive, size)).toEqual(expected);
    });
  }

  it('ignores what follows the end-of-archive marker and says it ended', () => {
    const parser = new TarStreamParser(() => undefined, fail);
    parser.write(Buffer.concat([archive, Buffer.from('trailing garbage')]));
    expect(parser.ended).toBe(true);
    parser.end();
  });

  const good = ustar([
    { path: 'a', data: 'x'.repeat(600) },
    { path: 'b', data: 'y' },
  ]);
  for (const [what, bytes, message] of [
    ['cut inside a member', good.subarray(0, 1000), /truncated archive/],
    ['cut inside a header', good.subarray(0, 1536 + 100), /truncated archive/],
    ['a damaged header', Buffer.concat([Buffer.from('z'), good.subarray(1)]), /wrong checksum/],
    ['an oversized extended header', ustar([{ path: 'h', type: 'L', data: 'n'.repeat(70_000) }]), /extended header/],
  ] as const) {
    it(`refuses an archive ${what}`, () => {
      expect(() => streamed(bytes, 100)).toThrow(message);
    });
  }

  it('accepts an archive that ends right after a member, without an end marker', () => {
    const members = streamed(ustar([{ path: 'a', data: 'abc' }], { endMarker: false }), 64);
    expect(members.map((m) => [m.header.path, Buffer.from(m.data, 'base64').toString()])).toEqual([['a', 'abc']]);
  });
});

/** One pax record, its length prefix counting itself. */
function pax(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length += 1;
  return `${length}${body}`;
}

describe('numeric header fields', () => {
  /** One member whose mode, uid, gid, size and mtime fields hold `fields` as given (checksum redone). */
  const member = (fields: Partial<Record<'mode' | 'uid' | 'gid' | 'size' | 'mtime', Buffer | string>>, data = '') => {
    const archive = ustar([{ path: 'x', data }]);
    const header = archive.subarray(0, 512);
    const at = { mode: [100, 8], uid: [108, 8], gid: [116, 8], size: [124, 12], mtime: [136, 12] } as const;
    for (const [name, value] of Object.entries(fields)) {
      const [offset, length] = at[name as keyof typeof at];
      header.fill(0, offset, offset + length);
      (Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1')).copy(header, offset);
    }
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return archive;
  };
  const ours = (archive: Buffer) => [...tarHeaders(memoryTarSource(archive), fail)][0]!;

  it('reads octal fields however writers pad them, and GNU base-256, as node-tar does', async () => {
    const base256 = Buffer.alloc(8);
    base256[0] = 0x80;
    base256.writeUInt32BE(2 ** 31 + 5, 4);
    const cases = [
      { mode: '0000755\0', uid: '0001750\0', gid: '0000144\0', size: '00000000005\0', mtime: '14672136140\0' },
      { mode: '755 \0', uid: '1750 ', gid: '144\0\0\0\0', size: '5 ', mtime: '14672136140 ' },
      { mode: '   755 \0', uid: '  1750\0', gid: '     144', size: '          5', mtime: ' 14672136140' },
      { mode: '0000644\0', uid: base256, gid: '0000000\0', size: '00000000005\0', mtime: '00000000000\0' },
      { mode: '\0\0\0\0\0\0\0\0', uid: '0\0', gid: '0000000\0', size: '5\0', mtime: '1\0' },
    ];
    for (const fields of cases) {
      const archive = member(fields, 'hello');
      const header = ours(archive);
      const theirs = (await nodeTarView(archive))[0] as {
        mode: number;
        uid: number;
        gid: number;
        mtime: number;
        data: string;
      };
      expect(
        { mode: header.mode, uid: header.uid, gid: header.gid, size: header.size, mtime: header.mtime },
        JSON.stringify(fields),
      ).toEqual({
        mode: theirs.mode & 0o7777,
        uid: theirs.uid,
        gid: theirs.gid,
        size: Buffer.from(theirs.data, 'base64').length,
        mtime: theirs.mtime,
      });
    }
  });

  it('a field with anything but octal digits (inside the padding) is unreadable: a default, or an error for the size', () => {
    const header = ours(member({ mode: '07\x0055\0', uid: '17 50', gid: '0000148\0', mtime: '1467213614x\0' }));
    expect({ mode: header.mode, uid: header.uid, gid: header.gid, mtime: header.mtime }).toEqual({
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: undefined,
    });
    expect(() => ours(member({ size: '0000000000 9' }))).toThrow(/unreadable size/);
    // Only padding: 0 (node-tar says undefined for spaces alone; pacman's libarchive reads 0).
    const padding = ours(member({ uid: '        ', gid: '\0\0\0\0\0\0\0\0' }));
    expect({ uid: padding.uid, gid: padding.gid }).toEqual({ uid: 0, gid: 0 });
  });
});
