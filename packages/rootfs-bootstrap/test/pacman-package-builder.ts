import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A member written exactly as given (hostile names included). */
export interface PackageMember {
  path: string;
  type?: 'file' | 'dir' | 'symlink';
  data?: string | Buffer;
  link?: string;
  mode?: number;
}

/** A tar archive (ustar headers, names up to 100 bytes) of the members, as given. */
export function tarOf(members: readonly PackageMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const data = type !== 'file' ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data ?? '');
    const header = Buffer.alloc(512);
    header.write(m.path, 0, 'utf8');
    header.write(
      `${(m.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644)).toString(8).padStart(7, '0')}\0`,
      100,
    );
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
    header.write(type === 'dir' ? '5' : type === 'symlink' ? '2' : '0', 156);
    if (m.link) header.write(m.link, 157, 'utf8');
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface TestPackage {
  name: string;
  version?: string;
  depends?: string[];
  install?: string;
  /** The package's `.MTREE` text (stored gzip-compressed, as makepkg does); none by default. */
  mtree?: string;
  members?: PackageMember[];
  /** Replaces the package file's bytes after it is built (a corruption); the database states the result's SHA-256 unless `sha256` says otherwise. */
  corrupt?: (bytes: Buffer) => Buffer;
  /** The SHA-256 the database states (a mismatch). */
  sha256?: string;
}

/** Writes a repository folder `dir` with the packages (zstd) and `NAME.db` (gzip). */
export function writeTestRepository(dir: string, name: string, packages: readonly TestPackage[]): void {
  mkdirSync(dir, { recursive: true });
  const descs: { path: string; type?: 'dir'; data?: string }[] = [];
  for (const pkg of packages) {
    const version = pkg.version ?? '1.0-1';
    const pkginfo = [
      `pkgname = ${pkg.name}`,
      `pkgver = ${version}`,
      'arch = x86_64',
      'size = 1',
      ...(pkg.depends ?? []).map((d) => `depend = ${d}`),
    ].join('\n');
    const tar = tarOf([
      ...(pkg.mtree === undefined ? [] : [{ path: '.MTREE', data: gzipSync(pkg.mtree) }]),
      { path: '.PKGINFO', data: `${pkginfo}\n` },
      ...(pkg.install ? [{ path: '.INSTALL', data: pkg.install }] : []),
      ...(pkg.members ?? []),
    ]);
    let bytes: Buffer = execFileSync('zstd', ['-q', '-c'], { input: tar });
    if (pkg.corrupt) bytes = pkg.corrupt(bytes);
    const filename = `${pkg.name}-${version}-x86_64.pkg.tar.zst`;
    writeFileSync(join(dir, filename), bytes);
    const sha256 = pkg.sha256 ?? createHash('sha256').update(bytes).digest('hex');
    const fields: [string, string[]][] = [
      ['FILENAME', [filename]],
      ['NAME', [pkg.name]],
      ['VERSION', [version]],
      ['CSIZE', [String(bytes.length)]],
      ['SHA256SUM', [sha256]],
      ['ARCH', ['x86_64']],
      ['DEPENDS', pkg.depends ?? []],
    ];
    descs.push(
      { path: `${pkg.name}-${version}/`, type: 'dir' },
      {
        path: `${pkg.name}-${version}/desc`,
        data: fields
          .filter(([, v]) => v.length)
          .map(([k, v]) => `%${k}%\n${v.join('\n')}\n\n`)
          .join(''),
      },
    );
  }
  writeFileSync(join(dir, `${name}.db`), gzipSync(tarOf(descs)));
}
