import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapRpmRootfs, checkRpmSignature, readGpgKeys, resolveRpmRootfs, SignatureError } from '../src/index.js';
import { main } from '../src/cli-main.js';
import { testGpg } from './gpg-fixtures.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// Keys made in this run with gpg; packages signed with rpmsign (header signatures, as rpm 4.18 writes
// them: RSA keys in the RSA tag, EdDSA keys in the DSA tag); repomd.xml signed detached and armoured.
let work: string;
let cacheDir: string;
let gnupg: string;
let signedRepo: string; // every package signed with the RSA key; repomd.xml.asc by the RSA key
let edDir: string; // df-lib and df-base signed with the Ed25519 key (rpm-dir)
const keys = { rsa: '', ed: '', wrong: '' };
const keyIds = { rsa: '', ed: '' };

const rpmsign = (key: string, files: string[]) =>
  execa(
    'rpmsign',
    [
      '--addsign',
      '--define',
      `_gpg_name ${key}`,
      '--define',
      '__gpg /usr/bin/gpg',
      '--define',
      `_gpg_path ${gnupg}`,
      ...files,
    ],
    { env: { GNUPGHOME: gnupg }, stdin: 'ignore' },
  );

beforeAll(async () => {
  const repo = (await rpmTestRepo()).dir;
  work = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-gpg-'));
  cacheDir = join(work, 'cache');
  const gpg = await testGpg(work);
  gnupg = gpg.home;
  for (const [name, algo] of [
    ['rsa', 'rsa2048'],
    ['ed', 'ed25519'],
    ['wrong', 'rsa2048'],
  ] as const) {
    const key = await gpg.createKey(name, algo);
    keys[name] = key.file;
    if (name !== 'wrong') keyIds[name] = key.keyId;
  }

  // Only what the requests below need (keeps the signing fast): the df-app closure and the boot set.
  signedRepo = join(work, 'signed');
  await mkdir(signedRepo);
  const wanted = (await readdir(repo)).filter(
    (f) => f.endsWith('.rpm') && !f.startsWith('df-arch') && !f.startsWith('df-lib-1.0'),
  );
  for (const f of wanted) await cp(join(repo, f), join(signedRepo, f));
  await rpmsign(
    'rsa@df.test',
    wanted.map((f) => join(signedRepo, f)),
  );
  await execa('createrepo_c', ['--quiet', '-g', join(repo, 'comps.xml'), signedRepo]);
  await gpg.run(['--local-user', 'rsa@df.test', '--detach-sign', '--armor', join(signedRepo, 'repodata/repomd.xml')]);

  edDir = join(work, 'ed');
  await mkdir(edDir);
  for (const f of wanted.filter((f) => /^df-(lib-2\.0-1|base)/.test(f))) await cp(join(repo, f), join(edDir, f));
  await rpmsign(
    'ed@df.test',
    (await readdir(edDir)).map((f) => join(edDir, f)),
  );
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('repodata/repomd.xml.asc', () => {
  it('is verified and reported with the right key', async () => {
    const plan = await resolveRpmRootfs({
      source: `rpm-repo:${signedRepo}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      gpgCheck: 'require',
      gpgKeys: [keys.rsa],
    });
    expect(plan.gpg.repository).toEqual({ signed: true, verified: true, keyId: keyIds.rsa });
  });

  it('refuses a wrong key, an unsigned repository and a changed repomd.xml under require; reports them under report', async () => {
    const wrong = await resolveRpmRootfs({
      source: `rpm-repo:${signedRepo}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      gpgCheck: 'require',
      gpgKeys: [keys.wrong],
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SignatureError);
    expect(wrong).toMatchObject({
      code: 'ERR_BOOTSTRAP_SIGNATURE',
      message: expect.stringContaining(`signed by a key not given (key ${keyIds.rsa})`),
    });
    const reported = await resolveRpmRootfs({
      source: `rpm-repo:${signedRepo}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      gpgCheck: 'report',
      gpgKeys: [keys.wrong],
    });
    expect(reported.gpg.repository).toMatchObject({ signed: true, verified: false, keyId: keyIds.rsa });

    const unsigned = (await rpmTestRepo()).dir;
    await expect(
      resolveRpmRootfs({
        source: `rpm-repo:${unsigned}`,
        include: ['df-app'],
        cacheDir,
        gpgCheck: 'require',
        gpgKeys: [keys.rsa],
      }),
    ).rejects.toThrow(/repomd.xml.asc: not signed/);

    const changed = join(work, 'changed-repomd');
    await cp(signedRepo, changed, { recursive: true });
    const repomd = join(changed, 'repodata/repomd.xml');
    await writeFile(repomd, `${await readFile(repomd, 'utf8')}\n`);
    await expect(
      resolveRpmRootfs({
        source: `rpm-repo:${changed}`,
        include: ['df-app'],
        cacheDir,
        gpgCheck: 'require',
        gpgKeys: [keys.rsa],
      }),
    ).rejects.toThrow(SignatureError);
  });

  it('needs keys for require', async () => {
    await expect(
      resolveRpmRootfs({ source: `rpm-repo:${signedRepo}`, include: ['df-app'], cacheDir, gpgCheck: 'require' }),
    ).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_OPTIONS' });
  });
});

describe('package signatures', () => {
  it('reports the key id and verification of every installed package (and rpm -K agrees)', async () => {
    const target = join(work, 'root-report');
    // df-lib and df-docs beside the boot set (df-app's df-base carries /bin/sh and /etc/passwd, which rpm refuses beside busybox and filesystem).
    const result = await bootstrapRpmRootfs({
      source: `rpm-repo:${signedRepo}`,
      include: ['@minimal', 'df-lib', 'df-docs'],
      cacheDir,
      architecture: 'x86_64',
      target,
      gpgCheck: 'require',
      gpgKeys: [keys.rsa],
    });
    expect(result.gpg.packages.map((p) => p.package)).toEqual(result.order);
    for (const p of result.gpg.packages)
      expect(p).toMatchObject({ signed: true, verified: true, keyId: keyIds.rsa, covers: 'header' });
    // rpm's own check of the same files with the key imported into a private database.
    const db = join(work, 'rpmdb');
    await mkdir(db);
    await execa('rpmkeys', ['--dbpath', db, '--import', keys.rsa]);
    const checked = await execa('rpmkeys', ['--dbpath', db, '--checksig', ...result.gpg.packages.map((p) => p.file)]);
    expect(checked.stdout.split('\n').every((l) => /: digests signatures OK$/.test(l))).toBe(true);
  });

  it('verifies EdDSA signatures, and names the signer when its key is not given', async () => {
    const ok = await bootstrapRpmRootfs({
      source: `rpm-dir:${edDir}`,
      include: ['df-lib'],
      cacheDir,
      architecture: 'x86_64',
      target: join(work, 'root-ed'),
      gpgCheck: 'require',
      gpgKeys: [keys.ed, keys.wrong],
    });
    expect(ok.gpg.packages.map((p) => p.package)).toEqual(['df-base', 'df-lib']); // df-lib's %post needs /bin/sh
    for (const p of ok.gpg.packages)
      expect(p).toMatchObject({ signed: true, verified: true, keyId: keyIds.ed, covers: 'header' });
    const report = await bootstrapRpmRootfs({
      source: `rpm-dir:${edDir}`,
      include: ['df-lib'],
      cacheDir,
      architecture: 'x86_64',
      target: join(work, 'root-ed-report'),
      gpgCheck: 'report',
      gpgKeys: [keys.rsa],
    });
    for (const p of report.gpg.packages)
      expect(p).toMatchObject({ signed: true, verified: false, keyId: keyIds.ed, reason: 'signed by a key not given' });
    expect(report.configured).toBe(false); // installed anyway: report only reports
  });

  it('refuses a tampered or unsigned package under require and installs nothing', async () => {
    const dir = join(work, 'tampered');
    await mkdir(dir);
    for (const f of await readdir(signedRepo))
      if (/^df-(lib-2\.0-1|base)/.test(f)) await cp(join(signedRepo, f), join(dir, f));
    const lib = join(dir, (await readdir(dir)).find((f) => f.startsWith('df-lib'))!);
    const bytes = await readFile(lib);
    const at = bytes.indexOf('df-lib', bytes.indexOf('df-lib') + 1); // inside the signed main header
    bytes[at] = 'D'.charCodeAt(0);
    await writeFile(lib, bytes);
    expect(await checkRpmSignature(lib, await readGpgKeys([keys.rsa]))).toMatchObject({
      signed: true,
      verified: false,
      keyId: keyIds.rsa,
    });
    const db = join(work, 'rpmdb-tampered');
    await mkdir(db);
    await execa('rpmkeys', ['--dbpath', db, '--import', keys.rsa]);
    expect((await execa('rpmkeys', ['--dbpath', db, '--checksig', lib], { reject: false })).exitCode).not.toBe(0);

    const target = join(work, 'root-tampered');
    const error = await bootstrapRpmRootfs({
      source: `rpm-dir:${dir}`,
      include: ['Df-lib'],
      cacheDir,
      architecture: 'x86_64',
      target,
      gpgCheck: 'require',
      gpgKeys: [keys.rsa],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as Error).message).toMatch(/Df-lib \(/);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);

    const unsigned = (await rpmTestRepo()).dir;
    await expect(
      bootstrapRpmRootfs({
        source: `rpm-dir:${unsigned}`,
        include: ['df-lib'],
        cacheDir,
        architecture: 'x86_64',
        target,
        gpgCheck: 'require',
        gpgKeys: [keys.rsa],
      }),
    ).rejects.toThrow(/df-lib \(not signed\)/);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });
});

describe('header+payload signatures (rpmsign --rpmv3)', () => {
  it('verifies the legacy PGP signature over header and payload when the header signature does not verify', async () => {
    const file = join(work, 'v3.rpm');
    await cp(join((await rpmTestRepo()).dir, 'df-locale-2.0-1.noarch.rpm'), file);
    await execa(
      'rpmsign',
      [
        '--addsign',
        '--rpmv3',
        '--define',
        '_gpg_name rsa@df.test',
        '--define',
        '__gpg /usr/bin/gpg',
        '--define',
        `_gpg_path ${gnupg}`,
        file,
      ],
      { env: { GNUPGHOME: gnupg }, stdin: 'ignore' },
    );
    const rsa = await readGpgKeys([keys.rsa]);
    expect(await checkRpmSignature(file, rsa)).toMatchObject({ verified: true, covers: 'header' });
    // Break the header-only signature (RSA tag 268 in the signature header): only the v3 one is left.
    const bytes = await readFile(file);
    const count = bytes.readUInt32BE(96 + 8);
    const store = 96 + 16 + count * 16;
    for (let i = 0; i < count; i++) {
      const entry = 96 + 16 + i * 16;
      const last = store + bytes.readUInt32BE(entry + 8) + bytes.readUInt32BE(entry + 12) - 1;
      if (bytes.readUInt32BE(entry) === 268) bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last);
    }
    await writeFile(file, bytes);
    expect(await checkRpmSignature(file, rsa)).toMatchObject({
      signed: true,
      verified: true,
      keyId: keyIds.rsa,
      covers: 'header+payload',
    });
    // ...which covers the payload: a changed payload byte fails it.
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
    await writeFile(file, bytes);
    expect(await checkRpmSignature(file, rsa)).toMatchObject({ signed: true, verified: false });
  });
});

describe('command line', () => {
  it('takes --gpg-check, --gpg-key and @groups', async () => {
    let text = '';
    const out = (s: string) => {
      text += s;
    };
    const target = join(work, 'root-cli');
    const args = [
      '--source',
      `rpm-repo:${signedRepo}`,
      '--include',
      '@minimal',
      '--arch',
      'x86_64',
      '--cache',
      cacheDir,
      '--gpg-check',
      'require',
      '--gpg-key',
      keys.rsa,
    ];
    expect(await main([...args, target], out)).toBe(0);
    expect(text).toContain('gpg: 4/4 package signatures verified; repomd.xml.asc verified\n');
    expect(text).toMatch(/\nrpmdb: \/var\/lib\/rpm \(sqlite, default\) by host librpm [\d.]+ \(python3-rpm\)\n/);
    expect(await readFile(join(target, 'etc/hostname'), 'utf8')).toBe('rocky-like\n');
    expect(await main([...args.slice(0, -4), '--gpg-check', 'maybe', '--resolve-only'], out)).toBe(1);
    expect(await main([...args.slice(0, -1), keys.wrong, join(work, 'root-cli-wrong')], out)).toBe(1);
  });
});
