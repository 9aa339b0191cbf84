// .deb files built byte by byte in tests (ar + tar written here, compressed with zlib, xz or zstd):
// dpkg-deb refuses the hostile and corrupt members the unpacker must survive.
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export type TarType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | 'CharacterDevice';

export interface TarMember {
  path: string;
  type?: TarType;
  body?: Buffer | string;
  linkpath?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Overrides the size field (a declared size that differs from the body). */
  size?: number;
}

const BLOCK = 512;
const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);

/** One tar member: a ustar header and its body, padded to blocks. */
export function tarMember(member: TarMember): Buffer {
  const body = Buffer.from(member.body ?? '');
  const type = member.type ?? 'File';
  const header = new Header({
    path: member.path,
    type,
    size: member.size ?? (type === 'File' ? body.length : 0),
    mode: member.mode ?? (type === 'Directory' ? 0o755 : 0o644),
    uid: member.uid ?? 0,
    gid: member.gid ?? 0,
    mtime: new Date(1_700_000_000_000),
    ...(member.linkpath === undefined ? {} : { linkpath: member.linkpath }),
  });
  const block = Buffer.alloc(BLOCK);
  header.encode(block, 0);
  return Buffer.concat([block, pad(body)]);
}

/**
 * A pax extended header (`x`) for the member after it. `declaredSize` overrides the header's size
 * field, e.g. to announce far more than follows.
 */
export function paxHeader(records: Record<string, string>, declaredSize?: number): Buffer {
  const body = Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      // The length prefix counts itself.
      let length = Buffer.byteLength(text);
      while (String(length).length + Buffer.byteLength(text) !== length)
        length = String(length).length + Buffer.byteLength(text);
      return Buffer.from(`${length}${text}`);
    }),
  );
  const header = new Header({
    path: 'PaxHeader',
    type: 'ExtendedHeader',
    size: declaredSize ?? body.length,
    mode: 0o644,
    mtime: new Date(0),
  });
  const block = Buffer.alloc(BLOCK);
  header.encode(block, 0);
  return Buffer.concat([block, declaredSize === undefined ? pad(body) : body]);
}

/** A tarball of raw member blocks, with the two zero blocks of its end. */
export function tarball(members: readonly Buffer[]): Buffer {
  return Buffer.concat([...members, Buffer.alloc(2 * BLOCK)]);
}

/** A tarball of members. */
export function tarOf(members: readonly TarMember[]): Buffer {
  return tarball(members.map(tarMember));
}

/** An `ar` archive (the container of a .deb). */
export function ar(members: readonly [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    const header = `${`${name}/`.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export type DebCompression = 'gz' | 'xz' | 'zst';

/** Compresses as dpkg-deb's -Zgzip, -Zxz, -Zzstd would. */
export function compress(data: Buffer, compression: DebCompression): Buffer {
  if (compression === 'gz') return gzipSync(data);
  return execFileSync(compression === 'xz' ? 'xz' : 'zstd', compression === 'xz' ? ['-0', '-T1', '-c'] : ['-q', '-c'], {
    input: data,
    maxBuffer: 1 << 28,
  });
}

const CONTROL =
  'Package: crafted\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: crafted\n';

/** A .deb whose data tarball is `data` (and a minimal control tarball), both compressed with `compression`. */
export function craftedDeb(
  data: Buffer,
  compression: DebCompression = 'gz',
  control: Buffer = tarOf([{ path: './control', body: CONTROL }]),
): Buffer {
  return ar([
    ['debian-binary', Buffer.from('2.0\n')],
    [`control.tar.${compression}`, compress(control, compression)],
    [`data.tar.${compression}`, compress(data, compression)],
  ]);
}
