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
import { bootstrapRpmRootfs, RpmdbError, type RpmBootstrapOptions } from '../src/index.js';
import { dnfInstall, installedInOrder, rpmOn } from './rpm-el-helpers.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// <lua> scriptlets run by the image's own rpm once it is installed, before that by the host's
// librpm entering the image root. The image's rpm here is the host's (Debian's rpm 4.18 with the
// shared libraries it links, its rpmrc, macros and platform files) repackaged by the test as `rpm`;
// `df-lua-late` needs it before its %post, so that %post runs with it while its %pretrans (before
// anything is installed) runs with the host's. `df-rpmq` asks the image's rpm about the database
// from its %pre, %post and %posttrans, compared with dnf --installroot.
let work: string;
let rpms: { rpm: string; lua: string; ndb: string; rpmq: string };
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
    // What the database holds when each scriptlet runs, asked of the image's rpm (rpm adds a
    // package's header after its files, before its %post).
    rpmq: buildStaged(
      work,
      'df-rpmq',
      '1.0',
      undefined,
      [
        'Requires(pre): rpm busybox',
        'Requires(post): rpm busybox',
        'Requires(posttrans): rpm busybox',
        ...['pre', 'post', 'posttrans'].flatMap((slot) => [
          `%${slot}`,
          `q() { /usr/bin/rpm --dbpath /var/lib/rpm "$@" 2>&1; }`,
          `echo "${slot} $1: $(q -q df-rpmq) | $(q -qa --qf '%%{NAME}\\n' | sort | tr '\\n' ' ')| $(q -qa | wc -l)" >> /rpmq.out`,
        ]),
      ].join('\n'),
      { path: '/usr/share/df-rpmq/file', text: 'q\\n' },
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
  it("run with the image's rpm once it is installed (arg[2] as rpm sets it), and the %pretrans before it with the host's librpm", async () => {
    const result = await build('root');
    expect(result.order).toEqual(['rpm', 'df-lua-late']);
    expect(readFileSync(join(result.target, 'lua-post.out'), 'utf8')).toMatch(/^lua post 1 in /);
    expect(readFileSync(join(result.target, 'lua-pretrans.out'), 'utf8')).toBe('pretrans\n');
    expect(result.scriptlets.events).toEqual([
      {
        package: 'df-lua-late',
        scriptlet: 'pretrans',
        status: 'ran',
        interpreter: expect.stringMatching(/^host librpm 4\.\d+.* \(python3-rpm\)$/),
      },
      { package: 'df-lua-late', scriptlet: 'post', status: 'ran', interpreter: "the image's rpm" },
    ]);
    expect(result.scriptlets.skipped).toEqual([]);
    // The rpm package being installed says which database format: rpm >= 4.16 is sqlite.
    expect(result.rpmdb).toMatchObject({
      written: true,
      backend: 'sqlite',
      dbpath: '/var/lib/rpm',
      detectedFrom: 'rpm-package',
    });
  });

  it("a scriptlet asking the image's rpm sees each package's header from its %post on, as under dnf --installroot", async () => {
    const include = ['busybox'];
    const localPackages = [rpms.rpm, rpms.rpmq];
    const result = await build('rpmq', { include, localPackages });
    expect(result.scriptlets.failures).toEqual([]);
    const ours = readFileSync(join(result.target, 'rpmq.out'), 'utf8');
    // The oracle: the same packages as a repository, installed by dnf (the host's rpm runs the
    // scriptlets; they call the image's rpm, which reads the database dnf's rpm is writing).
    const repoDir = join(work, 'rpmq-repo');
    mkdirSync(repoDir, { recursive: true });
    const fromRepo = readdirSync(repo).filter((f) =>
      result.packages.some((p) => f.startsWith(`${p.name}-${p.version.replace(/^\d+:/, '')}.`)),
    );
    for (const file of [...localPackages, ...fromRepo.map((f) => join(repo, f))])
      cpSync(file, join(repoDir, file.split('/').pop()!));
    execFileSync('createrepo_c', ['--quiet', repoDir]);
    const dnf = dnfInstall(repoDir, ['df-rpmq', ...include]);
    try {
      expect(dnf.status, dnf.output).toBe(0);
      expect(installedInOrder(result.target)).toEqual(installedInOrder(dnf.root));
      expect(ours).toBe(readFileSync(join(dnf.root, 'rpmq.out'), 'utf8'));
    } finally {
      rmSync(dnf.dir, { recursive: true, force: true });
    }
    // %pre: not yet in the database; %post: itself and everything before it; %posttrans: all.
    const count = installedInOrder(result.target).length;
    const lines = ours.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      new RegExp(`^pre 1: package df-rpmq is not installed \\| (?!.*df-rpmq).*\\| ${count - 1}$`),
    );
    expect(lines[1]).toMatch(new RegExp(`^post 1: df-rpmq-1\\.0-1\\.x86_64 \\| .*df-rpmq .*\\| ${count}$`));
    expect(lines[2]).toMatch(new RegExp(`^posttrans 1: df-rpmq-1\\.0-1\\.x86_64 \\| .*\\| ${count}$`));
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
});
