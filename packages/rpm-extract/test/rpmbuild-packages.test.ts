import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createReadStream, existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  extractRpm,
  formatDumpLine,
  idResolverFromRoot,
  listRpm,
  readRpm,
  toCoreManifest,
  verifyRpm,
  RpmError,
} from '@distroforge/rpm-extract';
import { buildFixtures, payloadSettings, type Compressor } from './build-rpm.js';

const compressors = Object.keys(payloadSettings) as Compressor[];
let work: string;
let packages: Record<string, string>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-build-'));
  packages = await buildFixtures(join(work, 'top'), compressors);
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function rpmQuery(file: string, ...args: string[]): Promise<string> {
  return (await execa('rpm', ['-qp', '--nosignature', ...args, file], { timeout: 60_000 })).stdout;
}

/** Every path under `dir`, relative, sorted. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => String(e)).sort();
}

describe.each(compressors)('rpmbuild package with %s payload', (compressor) => {
  it('lists exactly as rpm -qp --dump', async () => {
    const file = packages[compressor]!;
    const pkg = await readRpm(file);
    const ours = (await listRpm(file)).map((f) => formatDumpLine(f, pkg.fileDigestAlgorithm)).join('\n');
    expect(ours).toBe(await rpmQuery(file, '--dump'));
  });

  it('reports header fields, dependencies of every kind and scriptlets as rpm does', async () => {
    const file = packages[compressor]!;
    const pkg = await readRpm(file);
    const qf = (format: string) => rpmQuery(file, '--qf', format);
    expect(
      `${pkg.name}|${pkg.epoch}|${pkg.version}|${pkg.release}|${pkg.arch}|${pkg.size}|${pkg.license}|${pkg.summary}`,
    ).toBe(await qf('%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SIZE}|%{LICENSE}|%{SUMMARY}'));
    expect(pkg.payload.compressor ?? '(none)').toBe(await qf('%{PAYLOADCOMPRESSOR}'));
    expect(pkg.payload.flags ?? '(none)').toBe(await qf('%{PAYLOADFLAGS}'));
    expect(pkg.payload.digest?.value).toBe(await qf('%{PAYLOADDIGEST}'));
    const kinds = [
      'requires',
      'provides',
      'conflicts',
      'obsoletes',
      'recommends',
      'suggests',
      'supplements',
      'enhances',
    ] as const;
    for (const kind of kinds) {
      const tag = kind.toUpperCase().replace(/S$/, '');
      const theirs = await qf(`[%{${tag}NAME} %{${tag}FLAGS:depflags} %{${tag}VERSION}\n]`);
      const ours = pkg[kind].map((d) => `${d.name} ${d.comparison} ${d.version}\n`).join('');
      expect(ours.trimEnd(), kind).toBe(theirs.trimEnd());
    }
    expect(pkg.requires).toContainEqual(expect.objectContaining({ name: 'bash', comparison: '>=', version: '5.0' }));
    expect(pkg.scripts.prein).toEqual({ interpreter: ['/bin/sh'], body: 'echo pre' });
    expect(pkg.scripts.postin).toEqual({ interpreter: ['/sbin/ldconfig'], body: undefined });
    expect(pkg.scripts.postun).toEqual({ interpreter: ['<lua>'], body: 'print("postun")' });
    expect(pkg.nevra).toBe('df-fixture-7:1.2.3-4.noarch');
    expect(pkg.files.find((f) => f.path === '/opt/df/ping')?.caps).toBe('cap_net_raw=ep');
  });

  it('extracts the same tree as rpm2archive, with hard links, symlinks, non-ASCII names and a manifest', async () => {
    const file = packages[compressor]!;
    const target = join(work, `ours-${compressor}`);
    const result = await extractRpm(file, target);

    const theirs = join(work, `rpm2archive-${compressor}`);
    await mkdir(theirs);
    const archive = join(work, `rpm2archive-${compressor}.tgz`);
    await execa('sh', ['-c', 'rpm2archive - < "$1" > "$2"', 'sh', file, archive], { timeout: 60_000 });
    await execa(
      'tar',
      ['-xzf', archive, '-C', theirs, '--no-same-owner', '--exclude=./opt/df/null', '--exclude=./opt/df/loop0'],
      { timeout: 60_000 },
    );

    expect(await walk(target)).toEqual(await walk(theirs));
    for (const path of await walk(theirs)) {
      const a = lstatSync(join(target, path));
      const b = lstatSync(join(theirs, path));
      expect(a.mode, path).toBe(b.mode);
      if (a.isFile())
        expect(readFileSync(join(target, path)).equals(readFileSync(join(theirs, path))), path).toBe(true);
      if (a.isSymbolicLink()) expect(readlinkSync(join(target, path))).toBe(readlinkSync(join(theirs, path)));
    }
    // Hard links are links, not copies.
    const inode = statSync(join(target, 'opt/df/random.bin')).ino;
    expect(statSync(join(target, 'opt/df/random-link1.bin')).ino).toBe(inode);
    expect(statSync(join(target, 'opt/df/sub/random-link2.bin')).ino).toBe(inode);
    expect(statSync(join(target, 'opt/df/random.bin')).nlink).toBe(3);
    expect(readFileSync(join(target, 'opt/df/grüße-日本.txt'), 'utf8')).toBe('grüße\n');
    expect(statSync(join(target, 'opt/df/hello.txt')).mtimeMs / 1000).toBe(
      (await readRpm(file)).files.find((f) => f.path === '/opt/df/hello.txt')!.mtime,
    );
    // Ghosts are not created; devices are recorded, not created.
    expect(existsSync(join(target, 'opt/df/ghost.log'))).toBe(false);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { path: '/opt/df/ghost.log', reason: 'ghost' },
        { path: '/opt/df/null', reason: 'device' },
        { path: '/opt/df/loop0', reason: 'device' },
      ]),
    );
    const entry = (path: string) => result.manifest.entries.find((e) => e.path === path);
    expect(entry('/opt/df/suid')).toEqual({
      path: '/opt/df/suid',
      type: 'file',
      user: 'daemon',
      group: 'bin',
      mode: 0o4755,
    });
    expect(entry('/opt/df/null')).toMatchObject({ type: 'char', major: 1, minor: 3 });
    expect(entry('/opt/df/loop0')).toMatchObject({ type: 'block', major: 7, minor: 0 });
    expect(entry('/opt/df/ping')).toMatchObject({ caps: 'cap_net_raw=ep' });
    expect(entry('/opt/df/private')).toMatchObject({ type: 'dir', user: 'daemon', group: 'daemon', mode: 0o700 });
    expect(result.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['header-sha256', 'payload-sha256']));

    // Owner names become ids through the target's passwd/group.
    const etc = join(work, `fakeroot-${compressor}/etc`);
    await mkdir(etc, { recursive: true });
    await writeFile(join(etc, 'passwd'), 'root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n');
    await writeFile(join(etc, 'group'), 'root:x:0:\ndaemon:x:1:\nbin:x:2:\n');
    const core = toCoreManifest(result.manifest, await idResolverFromRoot(join(etc, '..')));
    expect(core.entries.find((e) => e.path === '/opt/df/suid')).toEqual({
      path: '/opt/df/suid',
      type: 'file',
      uid: 1,
      gid: 2,
      mode: 0o4755,
    });
    expect(core.entries.find((e) => e.path === '/opt/df/null')).toMatchObject({
      type: 'char',
      uid: 0,
      gid: 0,
      major: 1,
      minor: 3,
    });
  });

  it('verifies, from a path, a Buffer and a stream alike', async () => {
    const file = packages[compressor]!;
    const fromPath = await verifyRpm(file);
    const fromBuffer = await verifyRpm(readFileSync(file));
    const fromStream = await verifyRpm(createReadStream(file, { highWaterMark: 777 }));
    expect(fromPath.ok).toBe(true);
    expect(fromBuffer.checks).toEqual(fromPath.checks);
    expect(fromStream.checks).toEqual(fromPath.checks);
    expect(fromPath.checks.find((c) => c.name === 'files')).toMatchObject({ ok: true });
  });
});

describe('extraction targets', () => {
  it("refuses a non-empty target unless merging, and merges through the root's own symlinks", async () => {
    const root = join(work, 'merge-root');
    await mkdir(join(root, 'usr/opt'), { recursive: true });
    // A merged-/usr style absolute symlink: must resolve inside the root, not on the host.
    await execa('ln', ['-s', '/usr/opt', join(root, 'opt')]);
    await writeFile(join(root, 'keep.txt'), 'kept');
    const error = await extractRpm(packages.gzip!, root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmError);
    expect((error as RpmError).code).toBe('ERR_RPM_TARGET_EXISTS');
    await extractRpm(packages.gzip!, root, { merge: true });
    expect(readFileSync(join(root, 'usr/opt/df/hello.txt'), 'utf8')).toBe('hello world\n');
    expect(lstatSync(join(root, 'opt')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'keep.txt'), 'utf8')).toBe('kept');
    expect((await walk(root)).filter((p) => p.startsWith('.rpm-extract'))).toEqual([]);
  });

  it('rejects invalid options with ERR_RPM_OPTIONS_INVALID', async () => {
    const error = await extractRpm(packages.gzip!, join(work, 'bad-options'), { verify: 'yes' } as never).catch(
      (e: unknown) => e,
    );
    expect((error as RpmError).code).toBe('ERR_RPM_OPTIONS_INVALID');
  });

  it('keeps nothing of a failed extraction unless keepPartial', async () => {
    const bytes = readFileSync(packages.identity!);
    // Corrupt the last file's contents: the digest check fails after other files were written.
    const at = bytes.lastIndexOf(Buffer.from('hello world\n'));
    const bad = Buffer.from(bytes);
    bad[at] = 'j'.charCodeAt(0);
    const target = join(work, 'partial');
    // File digests are checked as the files stream, before the payload digest is complete: the bad file is named.
    const error = await extractRpm(bad, target, { verify: true }).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_DIGEST_MISMATCH');
    expect((error as RpmError).message).toMatch(/^\/opt\/df\/hello\.txt: contents digest/);
    expect(existsSync(target)).toBe(false);
    expect((await readdir(work)).filter((n) => n.startsWith('.partial'))).toEqual([]);
    await extractRpm(bad, target, { keepPartial: true }).catch(() => undefined);
    const kept = (await readdir(work)).filter((n) => n.startsWith('.partial'));
    expect(kept.length).toBe(1);
    await rm(join(work, kept[0]!), { recursive: true });
    void relative;
  });
});
