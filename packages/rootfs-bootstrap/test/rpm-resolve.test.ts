import { execa } from 'execa';
import { lstat, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapRpmRootfs,
  resolveRpmDependencies,
  resolveRpmRootfs,
  rpmInstallOrder,
  rpmSource,
  UnsatisfiableError,
  type RpmCandidate,
} from '../src/index.js';
import { fileURLToPath } from 'node:url';
import { indexRpmDirectory } from '../src/rpm/dir-index.js';
import { formatRpmDep, parseRpmDep } from '../src/rpm/rich-deps.js';
import { main } from '../src/cli-main.js';
import { prepareUserNamespace } from '@distroforge/core';
import { buildFixtureRpms } from './rpm-fixtures.js';

let dir: string;
let rpms: string;
let cacheDir: string;

beforeAll(async () => {
  ({ dir, rpms } = await buildFixtureRpms());
  cacheDir = join(dir, 'cache');
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const names = async (include: string[], extra: { weakDeps?: boolean; architecture?: string; source?: string } = {}) =>
  (
    await resolveRpmRootfs({
      source: extra.source ?? `rpm-dir:${rpms}`,
      include,
      cacheDir,
      architecture: extra.architecture ?? 'x86_64',
      ...(extra.weakDeps === undefined ? {} : { weakDeps: extra.weakDeps }),
    })
  ).packages.map((p) => `${p.name}-${p.version}.${p.architecture}`);

describe('rich dependencies', () => {
  it('parses and formats every boolean operator', () => {
    for (const text of [
      '(a or b or c)',
      '(a and (b >= 1.0-2 or c))',
      '(a if b else c)',
      '(a unless b)',
      '(a with b = 2)',
      '(a without b)',
      '(a < 3 if (b or c))',
    ]) {
      expect(formatRpmDep(parseRpmDep(text))).toBe(text);
    }
    expect(parseRpmDep('(a if b else c)')).toEqual({
      kind: 'if',
      then: { kind: 'cap', name: 'a' },
      condition: { kind: 'cap', name: 'b' },
      otherwise: { kind: 'cap', name: 'c' },
    });
    expect(() => parseRpmDep('(a or b and c)')).toThrow(/cannot mix/);
    expect(() => parseRpmDep('(a or')).toThrow(/ends early/);
  });
});

describe('rpm-dir resolution (expected sets checked by hand against the fixture specs)', () => {
  it('meets file provides, versioned, or, if, with, pre and weak dependencies', async () => {
    expect(await names(['df-app'])).toEqual([
      'df-app-2.0-1.noarch', // the requested package
      'df-base-2.0-1.noarch', // Requires(pre) and the file provide /bin/sh
      'df-docs-2.0-1.noarch', // Recommends, weak deps on by default
      'df-lib-2.0-1.noarch', // df-lib >= 2.0: 2.0-1, not 2.0~rc1 or 1.0
      'df-plugin-b-2.0-1.noarch', // (df-plugin with df-plugin-abi = 2): only plugin-b has abi 2
      'df-tls-gnutls-2.0-1.noarch', // (openssl or gnutls): providers by name, as libsolv
    ]); // no df-lang-en: (df-lang-en if df-locale), df-locale is not installed;
    // no df-fallback: (df-tls-gnutls if df-tls-gnutls else df-fallback) takes the if-branch
  });

  it('leaves out Recommends when weak dependencies are off', async () => {
    expect(await names(['df-app'], { weakDeps: false })).not.toContain('df-docs-2.0-1.noarch');
  });

  it('installs the if-branch when its condition is installed', async () => {
    const set = await names(['df-app', 'df-locale']);
    expect(set).toContain('df-lang-en-2.0-1.noarch');
    expect(set).toContain('df-locale-2.0-1.noarch');
  });

  it('keeps an alternative that is already selected, and takes the else-branch when the condition is absent', async () => {
    const set = await names(['df-app', 'df-tls-openssl']);
    expect(set).toContain('df-tls-openssl-2.0-1.noarch');
    expect(set).not.toContain('df-tls-gnutls-2.0-1.noarch');
    expect(set).toContain('df-fallback-2.0-1.noarch');
  });

  it('replaces an obsoleted package by its obsoleter, as dnf does', async () => {
    const plan = await resolveRpmRootfs({
      source: `rpm-dir:${rpms}`,
      include: ['df-oldapp'],
      cacheDir,
      architecture: 'x86_64',
    });
    const app = plan.packages.find((p) => p.name === 'df-app');
    expect(app?.chain).toEqual(['df-oldapp', 'df-app']);
    expect(plan.packages.map((p) => p.name)).not.toContain('df-oldapp');
  });

  it('prefers the best architecture of the target', async () => {
    expect(await names(['df-arch'])).toEqual(['df-arch-1.0-1.x86_64']);
    expect(await names(['df-arch'], { architecture: 'i686' })).toEqual(['df-arch-1.0-1.i686']);
    await expect(names(['df-arch'], { architecture: 'aarch64' })).rejects.toThrow(UnsatisfiableError);
  });

  it('resolves a capability and a file path as well as a name', async () => {
    expect(await names(['/usr/share/df/base'])).toEqual(['df-base-2.0-1.noarch']); // /bin/sh has several providers: see the dnf comparison
    expect(await names(['df-plugin-abi'])).toEqual(['df-plugin-a-2.0-1.noarch']);
  });

  it('names the unsatisfiable chain', async () => {
    const error = await names(['df-needs-broken']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect((error as UnsatisfiableError).code).toBe('ERR_BOOTSTRAP_UNSATISFIABLE');
    expect((error as UnsatisfiableError).chain).toEqual(['df-needs-broken', 'df-broken', 'df-missing >= 1']);
  });

  it('refuses conflicting packages', async () => {
    await expect(names(['df-rival', 'df-tls-openssl'])).rejects.toThrow(/df-rival conflicts with df-tls-openssl/);
  });

  it('orders pre-requirements first', async () => {
    const plan = await resolveRpmRootfs({
      source: `rpm-dir:${rpms}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
    });
    expect(plan.order.indexOf('df-base')).toBeLessThan(plan.order.indexOf('df-app'));
    expect(plan.order.indexOf('df-lib')).toBeLessThan(plan.order.indexOf('df-app'));
    expect([...plan.order].sort()).toEqual(plan.packages.map((p) => p.name));
  });
});

describe('rpm-dir index cache', () => {
  it('reuses a cached header while size and mtime are unchanged, and reads a changed file again', async () => {
    const own = join(dir, 'cache-test');
    const first = await indexRpmDirectory(rpms, { cacheDir: own, origin: 'test' });
    const [cacheFile] = (await execa('find', [join(own, 'rpm-index'), '-name', '*.json'])).stdout.split('\n');
    const data = JSON.parse(await readFile(cacheFile!, 'utf8'));
    const key = Object.keys(data.entries).find((k) => k.startsWith('df-base'))!;
    data.entries[key].candidate.rpm.release = 'from-cache'; // a marker only the cache can produce
    await writeFile(cacheFile!, JSON.stringify(data));
    const second = await indexRpmDirectory(rpms, { cacheDir: own, origin: 'test' });
    expect(second.find((c) => c.name === 'df-base')!.rpm.release).toBe('from-cache');
    expect(second.length).toBe(first.length);
    const file = join(rpms, key);
    const { atime, mtime } = await stat(file);
    await utimes(file, atime, new Date(mtime.getTime() + 5000));
    const third = await indexRpmDirectory(rpms, { cacheDir: own, origin: 'test' });
    expect(third.find((c) => c.name === 'df-base')!.rpm.release).toBe('1');
  });
});

describe('rpm bootstrap', () => {
  it('extracts the resolved packages in order and resolves owners with the target passwd/group', async () => {
    const target = join(dir, 'root');
    const result = await bootstrapRpmRootfs({
      source: `rpm-dir:${rpms}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      target,
    });
    expect(result.packages.map((p) => p.name)).toContain('df-base');
    expect(await readFile(join(target, 'usr/share/df/plugin-b'), 'utf8')).toBe('plugin-b\n');
    expect((await lstat(join(target, 'bin/sh'))).mode & 0o777).toBe(0o755);
    const conf = result.manifest.entries.find((e) => e.path === '/etc/df-app.conf');
    expect(conf).toMatchObject({ uid: 0, gid: 42, mode: 0o640 });
    expect(result.configured).toBe(false);
    expect(result.scriptlets.ran).toEqual([]);
    expect(result.scriptlets.skipped).toContainEqual({
      package: 'df-app',
      scriptlets: ['post'],
      reason: 'scriptlets were not requested',
    });
    expect(result.scriptlets.skipped).toContainEqual({
      package: 'df-lib',
      scriptlets: ['post'],
      reason: 'scriptlets were not requested',
    });
    await expect(stat(join(target, 'etc/df-configured'))).rejects.toThrow(/ENOENT/);
    await expect(
      bootstrapRpmRootfs({ source: `rpm-dir:${rpms}`, include: ['df-app'], cacheDir, target }),
    ).rejects.toThrow(/not empty/);
  });

  it('runs %pre/%post in a chroot when asked (as root), reporting failures, <lua> ones with the host librpm', async () => {
    const target = join(dir, 'root-scripts');
    const result = await bootstrapRpmRootfs({
      source: `rpm-dir:${rpms}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      target,
      scriptlets: true,
    });
    expect(result.configured).toBe(true);
    expect(await readFile(join(target, 'etc/df-configured'), 'utf8')).toBe('configured 1\n');
    // df-docs' %post is <lua> (print("lua")): the image has no rpm, the host's librpm runs it.
    expect(result.scriptlets.ran).toEqual(
      expect.arrayContaining([
        { package: 'df-app', scriptlets: ['post'] },
        { package: 'df-docs', scriptlets: ['post'] },
      ]),
    );
    expect(result.scriptlets.ran).toHaveLength(2);
    expect(result.scriptlets.failures).toEqual([
      { package: 'df-lib', scriptlet: 'post', message: expect.stringContaining('exit code 3') },
    ]);
    expect(result.scriptlets.skipped).toEqual([]);
    const log = await readFile(result.logFile!, 'utf8');
    expect(log).toContain('rpm-tmp.df-lib.post');
    expect(log).toMatch(/rpm-tmp\.df-docs\.post\.run\.lua\n(.*\n)*?lua\n/);
    const strict = join(dir, 'root-scripts-strict');
    await expect(
      bootstrapRpmRootfs({
        source: `rpm-dir:${rpms}`,
        include: ['df-app'],
        cacheDir,
        target: strict,
        scriptlets: true,
        abortOnScriptletFailure: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_RPM_SCRIPTLET', package: 'df-lib', scriptlet: 'post', exitCode: 3 });
    await expect(stat(strict)).rejects.toThrow(/ENOENT/);
  });

  it('works as a PackageSource plug-in: index, unpack, install', async () => {
    const source = rpmSource(`rpm-dir:${rpms}`);
    const index = await source.index({ suite: '', variant: '', architecture: 'x86_64', cacheDir });
    const order = rpmInstallOrder(
      resolveRpmDependencies(index.candidates, { names: ['df-app'], architecture: 'x86_64' }).map(
        (r) => r.candidate as RpmCandidate,
      ),
    );
    const root = join(dir, 'root-plugin');
    await mkdir(join(root, 'var/tmp'), { recursive: true });
    const files = new Map(order.map((p) => [p.name, fileURLToPath(p.location)]));
    const manifests = [];
    for (const p of order)
      manifests.push(...(await source.unpack(files.get(p.name)!, root, { chown: false })).manifest);
    expect(manifests.find((e) => e.path === '/etc/df-app.conf')).toMatchObject({ gid: 42 });
    const report = await source.install({
      root,
      order,
      essentialSet: new Set(),
      files,
      logFile: join(dir, 'plugin.log'),
      sourceDateEpoch: undefined,
      initramfs: false,
      namespace: await prepareUserNamespace(),
    });
    expect(report.maintainerScripts).toEqual([{ package: 'df-app', scripts: ['postinst'] }]);
    expect(await readFile(join(root, 'etc/df-configured'), 'utf8')).toBe('configured 1\n');
  });

  it('leaves no tree behind when resolution fails', async () => {
    const target = join(dir, 'root-broken');
    await expect(
      bootstrapRpmRootfs({ source: `rpm-dir:${rpms}`, include: ['df-needs-broken'], cacheDir, target }),
    ).rejects.toThrow(UnsatisfiableError);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });
});

/** The packages dnf would install into an empty root for `include`, from its transaction summary. */
async function dnfNames(
  include: string[],
  extra: { weakDeps?: boolean; architecture?: string } = {},
): Promise<string[]> {
  const conf = join(dir, 'dnf.conf');
  await writeFile(
    conf,
    `[main]\nreposdir=/dev/null\ncachedir=${join(dir, 'dnf-cache')}\n[df]\nname=df\nbaseurl=file://${rpms}\ngpgcheck=0\n`,
  );
  const result = await execa(
    'dnf',
    [
      '-c',
      conf,
      '--installroot',
      join(dir, 'dnf-root'),
      '--releasever',
      '1',
      '--forcearch',
      extra.architecture ?? 'x86_64',
      '--assumeno',
      ...(extra.weakDeps === false ? ['--setopt=install_weak_deps=False'] : []),
      'install',
      ...include,
    ],
    { reject: false, timeout: 120_000 },
  );
  const rows = [...`${result.stdout}`.matchAll(/^ (\S+)\s+(noarch|x86_64|i686)\s+(\S+)\s+df\s/gm)].map(
    (m) => `${m[1]}-${m[3]}.${m[2]}`,
  );
  if (rows.length === 0)
    throw new Error(`dnf resolved nothing for ${include.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return rows.sort();
}

describe('rpm-repo (createrepo_c) against dnf --installroot', () => {
  const requests: { include: string[]; weakDeps?: boolean; architecture?: string }[] = [
    { include: ['df-app'] },
    { include: ['df-app'], weakDeps: false },
    { include: ['df-app', 'df-locale'] },
    { include: ['df-app', 'df-tls-openssl'] },
    { include: ['df-app', 'df-rival'] },
    { include: ['df-oldapp'] },
    { include: ['/bin/sh'] },
    { include: ['df-filedep'] }, // needs filelists.xml
    { include: ['df-arch'] },
    { include: ['df-arch'], architecture: 'i686' },
  ];

  it('resolves the same package sets as dnf, and the folder the same as the repository', async () => {
    await execa('createrepo_c', ['--quiet', rpms]);
    for (const request of requests) {
      const ours = await names(request.include, { ...request, source: `rpm-repo:${rpms}` });
      expect(ours, request.include.join(' ')).toEqual(await dnfNames(request.include, request));
      expect(await names(request.include, request)).toEqual(ours);
    }
  });

  it('installs from the repository, checking the package checksums', async () => {
    const target = join(dir, 'root-repo');
    const result = await bootstrapRpmRootfs({
      source: `rpm-repo:file://${rpms}`,
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      target,
    });
    expect(await readFile(join(target, 'usr/share/df/tls-gnutls'), 'utf8')).toBe('tls-gnutls\n');
    expect(result.manifest.entries.find((e) => e.path === '/etc/df-app.conf')).toMatchObject({ gid: 42, mode: 0o640 });
  });

  it('refuses primary metadata that does not match repomd.xml', async () => {
    const copy = join(dir, 'tampered');
    await execa('cp', ['-r', rpms, copy]);
    const repomd = join(copy, 'repodata', 'repomd.xml');
    const text = await readFile(repomd, 'utf8');
    const sum = /<data type="primary">\s*<checksum type="sha256">([0-9a-f]+)</.exec(text)![1]!;
    await writeFile(
      repomd,
      text.replace(
        sum,
        sum.replace(/^./, (c) => (c === '0' ? '1' : '0')),
      ),
    );
    await expect(names(['df-app'], { source: `rpm-repo:${copy}` })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DIGEST',
    });
  });
});

describe('rpm-iso', () => {
  it('resolves the same packages from an ISO image of the folder as from the folder', async () => {
    const iso = join(dir, 'packages.iso');
    await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', iso, '-graft-points', `/Minimal/Packages=${rpms}`]);
    const fromIso = await names(['df-app', 'df-locale'], { source: `rpm-iso:${iso}` });
    expect(fromIso).toEqual(await names(['df-app', 'df-locale']));
  });
});

describe('README rpm example', () => {
  it('is the file in examples/ and prints what the README shows for the test packages', async () => {
    const pkg = join(import.meta.dirname, '..');
    const readme = await readFile(join(pkg, 'README.md'), 'utf8');
    const example = join(pkg, 'examples', 'resolve-rpm-folder.mjs');
    expect(readme).toContain((await readFile(example, 'utf8')).trim());
    const { stdout } = await execa('node', [example, rpms, 'df-app,df-locale'], {
      cwd: pkg,
      env: { XDG_CACHE_HOME: join(dir, 'xdg') },
    });
    const shown = /`node examples\/resolve-rpm-folder.mjs FOLDER df-app,df-locale`\):\n\n```\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(stdout.trim()).toBe(shown?.trim());
  });
});

describe('command line with --source', () => {
  it('resolves and installs from an rpm folder', async () => {
    let text = '';
    const out = (s: string) => {
      text += s;
    };
    const common = [
      '--source',
      `rpm-dir:${rpms}`,
      '--include',
      'df-app,df-locale',
      '--arch',
      'x86_64',
      '--cache',
      cacheDir,
      '--no-weak-deps',
    ];
    expect(await main([...common, '--resolve-only'], out)).toBe(0);
    expect(text).toContain('df-lang-en 2.0-1 noarch\n');
    expect(text).not.toContain('df-docs');
    const target = join(dir, 'root-cli');
    expect(await main([...common, '--json', '--manifest', join(dir, 'cli.manifest.json'), target], out)).toBe(0);
    const result = JSON.parse(text.trim().split('\n').at(-1)!);
    expect(result.packages.map((p: { name: string }) => p.name)).toContain('df-lang-en');
    expect(await readFile(join(target, 'usr/share/df/lang-en'), 'utf8')).toBe('lang-en\n');
    expect(await main(['--source', 'rpm-nope:x', '--include', 'a', '--resolve-only'], out)).toBe(1);
  });
});
