import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapRpmRootfs, RpmdbError, RpmLuaScriptletError, type RpmBootstrapOptions } from '../src/index.js';
import { installedInOrder, rpmOn } from './rpm-el-helpers.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// <lua> scriptlets run by the image's own rpm. The image's rpm here is the host's (Debian's rpm
// 4.18 with the shared libraries it links, its rpmrc, macros and platform files) repackaged by the
// test as `rpm`; `df-lua-late` needs it before its %post, so that %post runs with it while its
// %pretrans (before anything is installed) cannot.
let work: string;
let rpms: { rpm: string; lua: string; ndb: string };
let repo: string;

/** rpmbuild of a package whose files are copied from `stage` (an x86_64 package, no automatic dependencies). */
function buildStaged(
  dir: string,
  name: string,
  version: string,
  stage: string | undefined,
  extra: string,
  payload?: { path: string; text: string },
): string {
  const top = join(dir, `top-${name}`);
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const files = stage
    ? execFileSync('find', ['.', '-type', 'f'], { cwd: stage, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((f) => f.slice(1))
        .sort()
    : [];
  const spec = [
    '%global debug_package %{nil}',
    `Name: ${name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: ${name}`,
    'License: GPL-2.0-or-later',
    'AutoReqProv: no',
    extra,
    '%description',
    name,
    '%install',
    stage
      ? `cp -a ${stage}/. %{buildroot}/`
      : `mkdir -p %{buildroot}${dirname(payload?.path ?? '/usr/share/df-lua-late/file')} && printf '${payload?.text ?? 'late\\n'}' > %{buildroot}${payload?.path ?? '/usr/share/df-lua-late/file'}`,
    '%files',
    ...(stage ? files : [payload?.path ?? '/usr/share/df-lua-late/file']),
    '',
  ].join('\n');
  writeFileSync(join(top, 'SPECS', `${name}.spec`), spec);
  const defines = ['_topdir ' + top, '_binary_payload w1.gzdio', '__os_install_post %{nil}', '_build_id_links none'];
  execFileSync(
    'rpmbuild',
    [
      '-bb',
      '--quiet',
      '--target',
      'x86_64',
      ...defines.flatMap((d) => ['--define', d]),
      join(top, 'SPECS', `${name}.spec`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const [built] = readdirSync(join(top, 'RPMS', 'x86_64'));
  const out = join(dir, built!);
  renameSync(join(top, 'RPMS', 'x86_64', built!), out);
  return out;
}

beforeAll(async () => {
  repo = (await rpmTestRepo()).dir;
  work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-rpm-lua-'));
  const stage = join(work, 'stage');
  const libraries = execFileSync('ldd', ['/usr/bin/rpm'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const file of ['/usr/bin/rpm', ...libraries]) {
    mkdirSync(join(stage, dirname(file)), { recursive: true });
    cpSync(realpathSync(file), join(stage, file));
  }
  for (const file of ['rpmrc', 'macros']) cpSync(join('/usr/lib/rpm', file), join(stage, 'usr/lib/rpm', file));
  cpSync('/usr/lib/rpm/platform', join(stage, 'usr/lib/rpm/platform'), { recursive: true, dereference: true });
  const hostVersion = execFileSync('rpm', ['--version'], { encoding: 'utf8' }).match(/\d+(\.\d+)+/)![0];
  rpms = {
    rpm: buildStaged(work, 'rpm', hostVersion, stage, ''),
    lua: buildStaged(
      work,
      'df-lua-late',
      '1.0',
      undefined,
      [
        'Requires(pre): rpm',
        'Requires(post): rpm',
        '%pretrans -p <lua>',
        'io.open("/lua-pretrans.out", "w"):write("pretrans\\n")',
        '%post -p <lua>',
        'local f = io.open("/lua-post.out", "w")',
        'f:write("lua post " .. tostring(arg[2]) .. " in " .. rpm.expand("%{?_dbpath}") .. "\\n")',
        'f:close()',
      ].join('\n'),
    ),
    // Macros naming a database format the host's rpm does not write (SUSE's ndb).
    ndb: buildStaged(work, 'df-ndb-macros', '1.0', undefined, '', {
      path: '/etc/rpm/macros.dbbackend',
      text: '%%%%_dbpath /var/lib/rpm\\n%%%%_db_backend ndb\\n' /* rpmbuild makes %% of %%%%, printf % of %% */,
    }),
  };
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const build = (name: string, extra: Partial<RpmBootstrapOptions> = {}) =>
  bootstrapRpmRootfs({
    source: `rpm-repo:${repo}`,
    include: [],
    localPackages: [rpms.rpm, rpms.lua],
    architecture: 'x86_64',
    cacheDir: join(work, 'cache'),
    scriptlets: true,
    logFile: join(work, `${name}.log`),
    target: join(work, name),
    ...extra,
  });

describe('<lua> scriptlets', () => {
  it("run with the image's rpm once it is installed (arg[2] as rpm sets it), and %pretrans before it is reported skipped", async () => {
    const result = await build('root');
    expect(result.order).toEqual(['rpm', 'df-lua-late']);
    expect(readFileSync(join(result.target, 'lua-post.out'), 'utf8')).toMatch(/^lua post 1 in /);
    expect(existsSync(join(result.target, 'lua-pretrans.out'))).toBe(false);
    expect(result.scriptlets.events).toEqual([
      {
        package: 'df-lua-late',
        scriptlet: 'pretrans',
        status: 'skipped',
        reason: expect.stringContaining('no /usr/bin/rpm'),
      },
      { package: 'df-lua-late', scriptlet: 'post', status: 'ran' },
    ]);
    // The rpm package being installed says which database format: rpm >= 4.16 is sqlite.
    expect(result.rpmdb).toMatchObject({
      written: true,
      backend: 'sqlite',
      dbpath: '/var/lib/rpm',
      detectedFrom: 'rpm-package',
    });
  });

  it("writes the rpmdb with the image's own rpm when asked (rpmdb image-rpm): the headers and order the host's rpm writes", async () => {
    const host = await build('db-host', { scriptlets: false });
    const image = await build('db-image', { scriptlets: false, rpmdb: 'image-rpm' });
    expect(image.rpmdb).toMatchObject({
      written: true,
      writer: "the image's rpm --justdb",
      backend: 'sqlite',
      dbpath: '/var/lib/rpm',
      files: ['.rpm.lock', 'rpmdb.sqlite'],
    });
    expect(image.rpmdb.installTime).toBeUndefined();
    expect(installedInOrder(image.target)).toEqual(installedInOrder(host.target));
    const headers = (root: string) => rpmOn(root, ['-qa', '--qf', '%{NAME} %{SHA256HEADER} %{SIGMD5}\\n']).stdout;
    expect(headers(image.target)).toBe(headers(host.target));
    expect(existsSync(join(image.target, 'var/tmp/distroforge-rpmdb'))).toBe(false);
  });

  it("refuses a database format the host's rpm cannot write when the image has no rpm to write it (RpmdbError naming the format)", async () => {
    const error = await bootstrapRpmRootfs({
      source: `rpm-repo:${repo}`,
      include: [],
      localPackages: [rpms.ndb],
      architecture: 'x86_64',
      cacheDir: join(work, 'cache'),
      target: join(work, 'ndb'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmdbError);
    expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_RPMDB', value: 'ndb' });
    expect((error as Error).message).toContain('expects a ndb database in /var/lib/rpm (image-macros)');
    expect(existsSync(join(work, 'ndb'))).toBe(false);
  });

  it("with luaScriptlets 'fail', a <lua> scriptlet the image cannot run yet is a typed error and no tree is left", async () => {
    const error = await build('strict', { luaScriptlets: 'fail' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmLuaScriptletError);
    expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_RPM_LUA', value: 'df-lua-late' });
    expect(existsSync(join(work, 'strict'))).toBe(false);
  });
});
