import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePacmanSyncDatabase, readPacmanSyncDatabaseFile } from '../src/pacman/sync-database.js';
import { descText, pacmanScratch, runPacman, type PacmanScratch } from './pacman-oracle.js';
import { ustar } from './pacman-tar-writer.js';

type Fields = [string, string | string[]][];

/** Packages using every desc field pacman reads, plus a field it does not know. */
const PACKAGES: Fields[] = [
  [
    ['FILENAME', 'alpha-1:2.0-3-x86_64.pkg.tar.zst'],
    ['NAME', 'alpha'],
    ['BASE', 'alpha-base'],
    ['VERSION', '1:2.0-3'],
    ['DESC', 'The first package: with a colon'],
    ['GROUPS', ['grp-a', 'grp-b']],
    ['CSIZE', '12345'],
    ['ISIZE', '67890'],
    ['MD5SUM', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['SHA256SUM', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['PGPSIG', 'iQEzBAABCAAdFiEE'],
    ['URL', 'https://example.org/alpha'],
    ['LICENSE', ['GPL-2.0-or-later', 'MIT']],
    ['ARCH', 'x86_64'],
    ['BUILDDATE', '1700000000'],
    ['PACKAGER', 'Test Packager <t@example.org>'],
    ['REPLACES', ['old-alpha<2']],
    ['CONFLICTS', ['beta<1.0', 'gamma']],
    ['PROVIDES', ['libalpha.so=1-64', 'alpha-virtual=2.0']],
    ['DEPENDS', ['glibc>=2.38', 'beta', 'sh']],
    ['OPTDEPENDS', ['delta: for the delta feature', 'epsilon>=1']],
    ['MAKEDEPENDS', ['cmake']],
    ['CHECKDEPENDS', ['python']],
    ['XDATA', ['pkgtype=pkg']],
    ['FUTUREFIELD', ['kept', 'as read']],
  ],
  [
    ['FILENAME', 'beta-0.9-1-any.pkg.tar.xz'],
    ['NAME', 'beta'],
    ['VERSION', '0.9-1'],
    ['ARCH', 'any'],
    ['CSIZE', '1'],
    ['ISIZE', '0'],
  ],
  [
    ['FILENAME', 'gamma-1.0-1-x86_64.pkg.tar.gz'],
    ['NAME', 'gamma'],
    ['VERSION', '1.0-1'],
    ['ARCH', 'x86_64'],
    ['DEPENDS', ['alpha-virtual>=2']],
  ],
];

const folderOf = (fields: Fields): string =>
  `${fields.find(([k]) => k === 'NAME')![1]}-${fields.find(([k]) => k === 'VERSION')![1]}`;

function databaseTar(packages: readonly Fields[]): Buffer {
  return ustar(
    packages.flatMap((fields) => [
      { path: `${folderOf(fields)}/`, type: '5' as const },
      { path: `${folderOf(fields)}/desc`, data: descText(fields) },
    ]),
  );
}

function compress(tool: 'gzip' | 'xz' | 'zstd' | 'none', data: Buffer): Buffer {
  if (tool === 'none') return data;
  const run = spawnSync(tool, ['-c', '-q'], { input: data, maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`${tool} failed`);
  return run.stdout;
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; path?: unknown; value?: unknown; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    if (isDistroforgeError(error)) return error as never;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parsePacmanSyncDatabase', () => {
  const scratches: PacmanScratch[] = [];
  afterAll(() => {
    for (const s of scratches) rmSync(s.dir, { recursive: true, force: true });
  });

  for (const compression of ['none', 'gzip', 'xz', 'zstd'] as const) {
    it(`reads what Debian's pacman reads from a ${compression} database named .db.tar.gz (the suffix is not trusted)`, async () => {
      const s = pacmanScratch();
      scratches.push(s);
      writeFileSync(
        s.config,
        '[options]\nArchitecture = x86_64\nSigLevel = Never\n[gen]\nServer = file:///nonexistent\n',
      );
      const file = join(s.dir, 'gen.db.tar.gz');
      writeFileSync(file, compress(compression, databaseTar(PACKAGES)));
      writeFileSync(join(s.dbpath, 'sync', 'gen.db'), readFileSync(file));
      const db = await readPacmanSyncDatabaseFile(file, 'gen');

      const list = runPacman(s, ['-Sl', 'gen']);
      expect(list.status).toBe(0);
      expect(db.packages.map((p) => `gen ${p.name} ${p.version}`)).toEqual(list.stdout.trim().split('\n'));

      const info = runPacman(s, ['-Sii', ...db.packages.map((p) => `gen/${p.name}`)]);
      expect(info.status).toBe(0);
      const blocks = info.stdout.trim().split(/\n\n+/).map(pacmanInfoFields);
      const none = (list: readonly unknown[]): string => (list.length ? list.join('  ') : 'None');
      const ours = db.packages.map((p) => ({
        Name: p.name,
        Version: p.version,
        Description: p.description ?? 'None',
        Architecture: p.architecture ?? 'None',
        URL: p.url ?? 'None',
        Licenses: none(p.licenses),
        Groups: none(p.groups),
        Provides: none(p.provides.map((d) => `${d.name}${d.operator ?? ''}${d.version ?? ''}`)),
        'Depends On': none(p.depends.map((d) => `${d.name}${d.operator ?? ''}${d.version ?? ''}`)),
        'Conflicts With': none(p.conflicts.map((d) => `${d.name}${d.operator ?? ''}${d.version ?? ''}`)),
        Replaces: none(p.replaces.map((d) => `${d.name}${d.operator ?? ''}${d.version ?? ''}`)),
        Packager: p.packager ?? 'None',
        'Optional Deps': none(
          p.optDepends.map(
            (d) => `${d.name}${d.operator ?? ''}${d.version ?? ''}${d.description ? `: ${d.description}` : ''}`,
          ),
        ),
        MD5: p.md5 ?? 'None',
        SHA256: p.sha256 ?? 'None',
        'Download Size': humanSize(p.compressedSize ?? 0),
        'Installed Size': humanSize(p.installedSize ?? 0),
      }));
      const theirs = blocks.map((b) => ({
        Name: b.Name,
        Version: b.Version,
        Description: b.Description,
        Architecture: b.Architecture,
        URL: b.URL,
        Licenses: b.Licenses,
        Groups: b.Groups,
        Provides: b.Provides,
        'Depends On': b['Depends On'],
        'Conflicts With': b['Conflicts With'],
        Replaces: b.Replaces,
        Packager: b.Packager,
        'Optional Deps': b['Optional Deps'],
        MD5: b['MD5 Sum'],
        SHA256: b['SHA-256 Sum'],
        'Download Size': b['Download Size'],
        'Installed Size': b['Installed Size'],
      }));
      expect(ours).toEqual(theirs);

      const alpha = db.packages[0]!;
      expect(alpha.buildDate).toBe(1700000000);
      expect(alpha.base).toBe('alpha-base');
      expect(alpha.filename).toBe('alpha-1:2.0-3-x86_64.pkg.tar.zst');
      expect(alpha.makeDepends.map((d) => d.name)).toEqual(['cmake']);
      expect(alpha.checkDepends.map((d) => d.name)).toEqual(['python']);
      expect(alpha.pgpSignature).toBe('iQEzBAABCAAdFiEE');
      expect(alpha.xdata).toEqual(['pkgtype=pkg']);
      expect(alpha.extra).toEqual({ FUTUREFIELD: ['kept', 'as read'] });
      expect(alpha.depends[0]).toEqual({ name: 'glibc', operator: '>=', version: '2.38', description: undefined });
      expect(alpha.optDepends[0]).toEqual({
        name: 'delta',
        operator: undefined,
        version: undefined,
        description: 'for the delta feature',
      });
    });
  }

  it('reads an old-style database whose dependencies are in a separate depends file', async () => {
    const tar = ustar([
      {
        path: 'old-1-1/desc',
        data: descText([
          ['NAME', 'old'],
          ['VERSION', '1-1'],
          ['FILENAME', 'old-1-1-any.pkg.tar.gz'],
        ]),
      },
      {
        path: 'old-1-1/depends',
        data: descText([
          ['DEPENDS', ['a', 'b>1']],
          ['PROVIDES', ['c']],
        ]),
      },
      { path: 'old-1-1/files', data: '%FILES%\nusr/\n' },
    ]);
    const db = await parsePacmanSyncDatabase(tar, 'old');
    expect(db.packages.map((p) => [p.name, p.depends.map((d) => d.name), p.provides.map((d) => d.name)])).toEqual([
      ['old', ['a', 'b'], ['c']],
    ]);
  });

  const good = descText([
    ['NAME', 'x'],
    ['VERSION', '1-1'],
    ['FILENAME', 'x.pkg.tar.zst'],
  ]);
  const hostile: [string, () => Buffer, string][] = [
    ['a member climbing out with ..', () => ustar([{ path: '../x-1-1/desc', data: good }]), 'ERR_PACMAN_DB_PATH'],
    ['an absolute member', () => ustar([{ path: '/etc/x-1-1/desc', data: good }]), 'ERR_PACMAN_DB_PATH'],
    ['a member nested deeper', () => ustar([{ path: 'x-1-1/sub/desc', data: good }]), 'ERR_PACMAN_DB_PATH'],
    [
      'a pax path climbing out',
      () =>
        ustar([
          { path: 'h', type: 'x', data: paxRecord('path', 'x-1-1/../../desc') },
          { path: 'x-1-1/desc', data: good },
        ]),
      'ERR_PACMAN_DB_PATH',
    ],
    [
      'a size beyond the data',
      () => ustar([{ path: 'x-1-1/desc', data: good, declaredSize: 1 << 30 }]),
      'ERR_PACMAN_DB_FORMAT',
    ],
    [
      'a truncated archive',
      () => ustar([{ path: 'x-1-1/desc', data: 'a'.repeat(2000) }], { endMarker: false }).subarray(0, 1200),
      'ERR_PACMAN_DB_FORMAT',
    ],
    [
      'a damaged header',
      () => {
        const t = ustar([{ path: 'x-1-1/desc', data: good }]);
        t[10]! ^= 0xff;
        return t;
      },
      'ERR_PACMAN_DB_FORMAT',
    ],
    [
      'a huge pax header',
      () => ustar([{ path: 'h', type: 'x', data: Buffer.alloc(100_000, 0x41) }]),
      'ERR_PACMAN_DB_FORMAT',
    ],
    [
      'a damaged xz stream',
      () => {
        const c = compress('xz', ustar([{ path: 'x-1-1/desc', data: good }]));
        c[40]! ^= 0xff;
        return c;
      },
      'ERR_PACMAN_DB_FORMAT',
    ],
    [
      'a cut zstd stream',
      () => {
        const c = compress('zstd', ustar([{ path: 'x-1-1/desc', data: 'z'.repeat(5000) + good }]));
        return c.subarray(0, c.length - 8);
      },
      'ERR_PACMAN_DB_FORMAT',
    ],
    ['plain text', () => Buffer.from('<html>not found</html>\n'.repeat(40)), 'ERR_PACMAN_DB_FORMAT'],
    [
      'a size that is not a number',
      () => ustar([{ path: 'x-1-1/desc', data: `${good}%CSIZE%\n12k\n\n` }]),
      'ERR_PACMAN_DESC_SYNTAX',
    ],
    [
      'a desc of another package than its folder',
      () => ustar([{ path: 'y-1-1/desc', data: good }]),
      'ERR_PACMAN_DESC_SYNTAX',
    ],
    [
      'a desc without %FILENAME%',
      () =>
        ustar([
          {
            path: 'x-1-1/desc',
            data: descText([
              ['NAME', 'x'],
              ['VERSION', '1-1'],
            ]),
          },
        ]),
      'ERR_PACMAN_DESC_SYNTAX',
    ],
    ['a desc that is not one', () => ustar([{ path: 'x-1-1/desc', data: 'NAME=x\n' }]), 'ERR_PACMAN_DESC_SYNTAX'],
  ];
  for (const [what, make, code] of hostile) {
    it(`refuses ${what} with ${code}, naming the database`, async () => {
      const error = await rejection(parsePacmanSyncDatabase(make(), 'evil', { origin: '/m/evil.db' }));
      expect(error.code).toBe(code);
      expect(String(error.path)).toMatch(/^\/m\/evil\.db(: x-1-1\/desc|: y-1-1\/desc)?$/);
      expect(error.hint).toBeTruthy();
    });
  }

  // zstd is decoded by the in-process decoder's threads, the others by core's decompress.
  it.each(['gzip', 'zstd'] as const)(
    'refuses a %s database that decompresses beyond maxBytes, and reads the next',
    async (tool) => {
      const bomb = compress(tool, ustar([{ path: 'x-1-1/desc', data: Buffer.alloc(64 << 20) }]));
      expect(bomb.length).toBeLessThan(256 << 10);
      const error = await rejection(parsePacmanSyncDatabase(bomb, 'evil', { maxBytes: 1 << 20 }));
      expect(error.code).toBe('ERR_PACMAN_DB_FORMAT');
      expect(error.message).toContain('more than the 1048576 bytes accepted');
      const good = compress(
        tool,
        ustar([{ path: 'ok-1-1/desc', data: '%FILENAME%\nok-1-1-any.pkg.tar.zst\n\n%NAME%\nok\n\n%VERSION%\n1-1\n' }]),
      );
      expect((await parsePacmanSyncDatabase(good, 'next')).packages.map((p) => p.name)).toEqual(['ok']);
    },
  );
});

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 2;
  if (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

/** `Key   : value` lines of pacman -Si, continuation lines joined. */
function pacmanInfoFields(block: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let last = '';
  for (const line of block.split('\n')) {
    const match = /^(\S[^:]*?)\s+: (.*)$/.exec(line);
    if (match) fields[(last = match[1]!)] = match[2]!.trim();
    else fields[last] += `  ${line.trim()}`;
  }
  return fields;
}

/** A size as pacman prints it: divided by 1024 until at most 2048, two decimals. */
function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (unit < units.length - 1 && Math.abs(value) > 2048) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}
