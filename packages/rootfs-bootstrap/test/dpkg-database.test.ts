// Oracle: the host's own `dpkg --unpack` of the same packages. Our in-process unpack + database
// registration must leave the same files, `status` entries, `info/` files and trigger interests.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDecodeAhead } from '../src/apt/deb/decode-ahead.js';
import { activateFileTriggers, readDiversions } from '../src/apt/dpkg/database.js';
import { ownersToAssign, unpackIntoDpkgDatabase } from '../src/apt/dpkg/unpack.js';
import type { PackageCandidate } from '../src/package-candidate.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-dpkgdb-'));
const files = new Map<string, string>();
const packages: PackageCandidate[] = [];
const ours = join(work, 'ours');
const theirs = join(work, 'dpkg');

interface Fixture {
  control: Record<string, string>;
  files: Record<string, string>;
  debian?: Record<string, string>;
  setup?: (tree: string) => void;
}

const fixtures: Fixture[] = [
  {
    control: {
      Package: 'df-conf',
      Version: '1.0-1',
      Architecture: 'amd64',
      'Multi-Arch': 'same',
      Depends: 'df-hooks (>= 1.0)',
      Description: 'conffiles, triggers\n multi-line description\n .\n second paragraph',
    },
    files: {
      'etc/df/df.conf': 'setting = 1\n',
      'etc/df/other.conf': 'other\n',
      'usr/lib/df/libdf.so.1': 'ELF?\n',
      'usr/share/doc/df-conf/copyright': 'MIT\n',
    },
    debian: {
      conffiles: '/etc/df/df.conf\n/etc/df/other.conf\n',
      triggers:
        '# comment\ninterest-noawait /usr/share/df/hooks\ninterest df-named-trigger\nactivate-noawait ldconfig\n',
      shlibs: 'libdf 1 df-conf (>= 1.0)\n',
    },
    setup: (tree) => {
      linkSync(join(tree, 'usr/lib/df/libdf.so.1'), join(tree, 'usr/lib/df/libdf-hard.so.1'));
      symlinkSync('libdf.so.1', join(tree, 'usr/lib/df/libdf.so'));
    },
  },
  {
    control: {
      Package: 'df-hooks',
      Version: '2:1.0',
      Architecture: 'all',
      'Multi-Arch': 'foreign',
      Essential: 'yes',
      Description: 'owned and setgid files',
    },
    files: { 'usr/share/df/hooks/a': 'a\n', 'usr/share/df/hooks/replaced': 'old\n', 'usr/bin/df-tool': '#!/bin/sh\n' },
    debian: { postinst: '#!/bin/sh\nexit 0\n', md5sums: 'd41d8cd98f00b204e9800998ecf8427e  usr/share/df/hooks/a\n' },
    setup: (tree) => {
      chownSync(join(tree, 'usr/bin/df-tool'), 0, 42);
      chmodSync(join(tree, 'usr/bin/df-tool'), 0o2755);
      mkdirSync(join(tree, 'var/mail'), { recursive: true });
      chownSync(join(tree, 'var/mail'), 0, 8);
      chmodSync(join(tree, 'var/mail'), 0o2775);
    },
  },
  {
    control: {
      Package: 'df-replacer',
      Version: '1.0',
      Architecture: 'all',
      Replaces: 'df-hooks',
      Description: 'takes over a file',
    },
    files: { 'usr/share/df/hooks/replaced': 'new\n' },
  },
];

function buildDeb(fixture: Fixture): string {
  const tree = join(work, 'src', fixture.control.Package!);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  const control = Object.entries({ Maintainer: 'T <t@example.org>', ...fixture.control })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  writeFileSync(join(tree, 'DEBIAN/control'), `${control}\n`);
  for (const [name, text] of Object.entries(fixture.debian ?? {})) {
    writeFileSync(join(tree, 'DEBIAN', name), text);
    if (name === 'postinst') chmodSync(join(tree, 'DEBIAN', name), 0o755);
  }
  for (const [path, text] of Object.entries(fixture.files)) {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  fixture.setup?.(tree);
  const deb = join(work, `${fixture.control.Package}.deb`);
  execFileSync('dpkg-deb', ['-Zxz', '--build', tree, deb], { stdio: 'ignore' }); // as root: owners as set above
  return deb;
}

function emptyRoot(root: string): void {
  for (const dir of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/mail'])
    mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
}

/** Every path under `root` (except the given prefixes) with type, mode, owner and content. */
function describeTree(root: string, except: string[]): string[] {
  const out = execFileSync('find', ['.', '-printf', '%p %y %m %U:%G %l\\n'], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n');
  return out
    .filter((line) => !except.some((e) => line.startsWith(`./${e}`)))
    .map((line) => {
      const path = line.split(' ')[0]!;
      const full = join(root, path);
      return statSync(full, { throwIfNoEntry: false })?.isFile() && line.split(' ')[1] === 'f'
        ? `${line} ${readFileSync(full, 'utf8')}`
        : line;
    })
    .sort();
}

const query = (root: string) =>
  execFileSync('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-s', ...fixtures.map((f) => f.control.Package!)], {
    encoding: 'utf8',
  });

beforeAll(async () => {
  for (const fixture of fixtures) {
    const c = fixture.control;
    files.set(c.Package!, buildDeb(fixture));
    packages.push({
      name: c.Package!,
      version: c.Version!,
      architecture: c.Architecture!,
      multiArch: (c['Multi-Arch'] ?? 'no').toLowerCase(),
    } as PackageCandidate);
  }
  emptyRoot(theirs);
  emptyRoot(ours);
  // Same pre-existing directory on both sides: dpkg leaves its mode alone.
  chmodSync(join(theirs, 'var/mail'), 0o700);
  chmodSync(join(ours, 'var/mail'), 0o700);
  execFileSync(
    'dpkg',
    [
      `--root=${theirs}`,
      '--force-unsafe-io',
      '--force-depends',
      '--unpack',
      ...packages.map((p) => files.get(p.name)!),
    ],
    { stdio: 'ignore' },
  );
  giveOwners(
    ours,
    await unpackIntoDpkgDatabase(ours, packages, files, {
      concurrency: 2,
      owners: new Map(),
      keepExistingDirectories: true,
    }),
  );
});

/**
 * What assignOwners does inside the build's user namespace, done on the host (the test runs as
 * root), so owners compare with dpkg's own as numbers.
 */
function giveOwners(root: string, unpacked: Parameters<typeof ownersToAssign>[1]): void {
  for (const o of ownersToAssign(root, unpacked)) {
    const path = join(root, o.path);
    lchownSync(path, o.uid, o.gid);
    if (o.mode !== undefined && !lstatSync(path).isSymbolicLink()) chmodSync(path, o.mode);
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('unpackIntoDpkgDatabase (against dpkg --unpack)', () => {
  it('writes the same files, conffiles as .dpkg-new, owners and modes (setgid kept, existing dirs left alone)', () => {
    const except = ['var/lib/dpkg'];
    expect(describeTree(ours, except)).toEqual(describeTree(theirs, except));
    expect(statSync(join(ours, 'etc/df/df.conf.dpkg-new')).isFile()).toBe(true);
    expect(statSync(join(ours, 'usr/bin/df-tool')).mode & 0o7777).toBe(0o2755);
    expect(readFileSync(join(ours, 'usr/share/df/hooks/replaced'), 'utf8')).toBe('new\n');
  });

  it('records the same status entries (unpacked, newconffile hashes)', () => {
    const status = query(ours);
    expect(status).toContain('Status: install ok unpacked');
    expect(status).toContain(' /etc/df/df.conf newconffile');
    expect(status).toBe(query(theirs));
  });

  it('writes the same info files: control members, .list in archive order (Replaces honoured), Multi-Arch names', () => {
    const info = (root: string) => readdirSync(join(root, 'var/lib/dpkg/info')).sort();
    expect(info(ours)).toEqual(info(theirs));
    expect(info(ours)).toContain('df-conf:amd64.list');
    for (const name of info(theirs)) {
      const a = join(ours, 'var/lib/dpkg/info', name);
      const b = join(theirs, 'var/lib/dpkg/info', name);
      expect(readFileSync(a, 'utf8'), name).toBe(readFileSync(b, 'utf8'));
      expect(statSync(a).mode, name).toBe(statSync(b).mode);
    }
    expect(readFileSync(join(ours, 'var/lib/dpkg/info/df-hooks.list'), 'utf8')).not.toContain('replaced');
  });

  it('unpacks the largest packages first, and what lands does not depend on it (the last owner of an overlap still wins)', async () => {
    const root = join(work, 'ours-largest-first');
    emptyRoot(root);
    chmodSync(join(root, 'var/mail'), 0o700);
    // Sizes rising along the order: the last package (which replaces an earlier one's file) goes first.
    const sized = packages.map((p, i) => ({ ...p, size: 1000 * (i + 1) }));
    const started: string[] = [];
    giveOwners(
      root,
      await unpackIntoDpkgDatabase(root, sized, files, {
        concurrency: 1,
        owners: new Map(),
        keepExistingDirectories: true,
        onUnpacked: (name) => started.push(name),
      }),
    );
    expect(started).toEqual(sized.map((p) => p.name).reverse());
    expect(describeTree(root, [])).toEqual(describeTree(ours, []));
    expect(readFileSync(join(root, 'usr/share/df/hooks/replaced'), 'utf8')).toBe('new\n');
  });

  it('unpacks from data members decoded ahead to the same tree (the rewrite of an overlap reads its tarball again)', async () => {
    const root = join(work, 'ours-decoded-ahead');
    emptyRoot(root);
    chmodSync(join(root, 'var/mail'), 0o700);
    // All decoding at once, so each is running (and waited for) when the unpack asks for it.
    const ahead = await DataDecodeAhead.start(work, files, { concurrency: files.size });
    const handed: string[] = [];
    giveOwners(
      root,
      await unpackIntoDpkgDatabase(root, packages, files, {
        concurrency: 2,
        owners: new Map(),
        keepExistingDirectories: true,
        decodedData: async (name) => {
          const tarball = await ahead.take(name);
          if (tarball) handed.push(tarball);
          return tarball;
        },
      }),
    );
    // dpkg-deb compresses with xz: every package was decoded ahead, and unpacked from its tarball.
    expect(new Set(handed).size).toBe(packages.length);
    expect(describeTree(root, [])).toEqual(describeTree(ours, []));
    expect(readFileSync(join(root, 'usr/share/df/hooks/replaced'), 'utf8')).toBe('new\n');
    await ahead.close();
    expect(handed.filter((t) => existsSync(t))).toEqual([]);
  });

  it('registers the same trigger interests', () => {
    for (const name of ['File', 'df-named-trigger']) {
      expect(readFileSync(join(ours, 'var/lib/dpkg/triggers', name), 'utf8'), name).toBe(
        readFileSync(join(theirs, 'var/lib/dpkg/triggers', name), 'utf8'),
      );
    }
  });

  it('hands file triggers of later unpacks to dpkg through Unincorp, as dpkg-trigger --no-await does', async () => {
    const probe = join(work, 'probe');
    mkdirSync(join(probe, 'var/lib/dpkg/triggers'), { recursive: true });
    writeFileSync(join(probe, 'var/lib/dpkg/triggers/File'), readFileSync(join(theirs, 'var/lib/dpkg/triggers/File')));
    expect(
      await activateFileTriggers(probe, ['/usr/share/df/hooks/new-hook', '/usr/share/df/hooksX', '/etc/x']),
    ).toEqual(['/usr/share/df/hooks']);
    expect(readFileSync(join(probe, 'var/lib/dpkg/triggers/Unincorp'), 'utf8')).toBe('/usr/share/df/hooks -\n');
  });

  it('applies stat overrides in force as dpkg does', async () => {
    const [a, b] = [join(work, 'ours-so'), join(work, 'dpkg-so')];
    for (const root of [a, b]) {
      emptyRoot(root);
      mkdirSync(join(root, 'etc'), { recursive: true });
      for (const f of ['passwd', 'group']) writeFileSync(join(root, 'etc', f), readFileSync(join('/etc', f)));
    }
    execFileSync('dpkg-statoverride', [`--root=${b}`, '--add', 'root', 'mail', '2750', '/usr/share/df/hooks/a'], {
      stdio: 'ignore',
    });
    writeFileSync(join(a, 'var/lib/dpkg/statoverride'), readFileSync(join(b, 'var/lib/dpkg/statoverride')));
    const hooks = packages.filter((p) => p.name === 'df-hooks');
    execFileSync('dpkg', [`--root=${b}`, '--force-unsafe-io', '--force-depends', '--unpack', files.get('df-hooks')!], {
      stdio: 'ignore',
    });
    giveOwners(
      a,
      await unpackIntoDpkgDatabase(a, hooks, files, {
        concurrency: 1,
        owners: new Map(),
        keepExistingDirectories: true,
      }),
    );
    const stat = (root: string) => statSync(join(root, 'usr/share/df/hooks/a'));
    expect(stat(a).mode & 0o7777).toBe(0o2750);
    expect([stat(a).uid, stat(a).gid, stat(a).mode]).toEqual([stat(b).uid, stat(b).gid, stat(b).mode]);
  });

  it('reads diversions as dpkg-divert writes them', async () => {
    execFileSync(
      'dpkg-divert',
      [
        `--admindir=${theirs}/var/lib/dpkg`,
        '--package',
        'df-hooks',
        '--no-rename',
        '--divert',
        '/usr/bin/df-tool.real',
        '--add',
        '/usr/bin/df-tool',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'dpkg-divert',
      [`--admindir=${theirs}/var/lib/dpkg`, '--local', '--no-rename', '--divert', '/etc/x.local', '--add', '/etc/x'],
      { stdio: 'ignore' },
    );
    const diversions = await readDiversions(theirs);
    expect(diversions.get('/usr/bin/df-tool')).toEqual({ to: '/usr/bin/df-tool.real', by: 'df-hooks' });
    expect(diversions.get('/etc/x')?.to).toBe('/etc/x.local');
  });
});
