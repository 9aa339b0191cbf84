import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EL_SYSTEM_REQUEST } from '../../../tools/rpm-test-repo/el-system-packages.mjs';
import {
  bootstrapRpmRootfs,
  RpmFileConflictError,
  RpmScriptletError,
  type RpmBootstrapOptions,
  type RpmBootstrapResult,
} from '../src/index.js';
import { dnfInstall, dnfOn, installedInOrder, rpmOn } from './rpm-el-helpers.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// One EL-system transaction from the generated repository (tools/rpm-test-repo/el-system-packages.mjs:
// a trigger, file triggers, <lua>, %posttrans, %config, %ghost, identical files), built by
// bootstrapRpmRootfs with scriptlets and compared with the same request run by dnf --installroot.
const EPOCH = 1_700_000_000;
let work: string;
let repoDir: string;
let ours: RpmBootstrapResult;
let oracle: ReturnType<typeof dnfInstall>;
const dnfDirs: string[] = [];

const build = (target: string, extra: Partial<RpmBootstrapOptions> = {}) =>
  bootstrapRpmRootfs({
    source: `rpm-repo:${repoDir}`,
    include: EL_SYSTEM_REQUEST,
    weakDeps: false,
    architecture: 'x86_64',
    cacheDir: join(work, 'cache'),
    scriptlets: true,
    logFile: join(work, `${target.split('/').pop()}.log`),
    target,
    ...extra,
  });

beforeAll(async () => {
  process.env.SOURCE_DATE_EPOCH = String(EPOCH);
  repoDir = (await rpmTestRepo()).dir;
  work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-rpm-el-'));
  ours = await build(join(work, 'root'));
  oracle = dnfInstall(repoDir, EL_SYSTEM_REQUEST);
  dnfDirs.push(oracle.dir);
  expect(oracle.status, oracle.output).toBe(0);
}, 300_000);

afterAll(() => {
  for (const dir of [work, ...dnfDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an EL-system rpm transaction (bootstrapRpmRootfs vs dnf --installroot)', () => {
  it("writes an rpmdb listing dnf's packages in the order rpm installed them for dnf", () => {
    expect(ours.rpmdb).toMatchObject({
      written: true,
      dbpath: '/var/lib/rpm',
      backend: 'sqlite',
      detectedFrom: 'default',
      files: ['.rpm.lock', 'rpmdb.sqlite'],
    });
    const installed = installedInOrder(ours.target);
    expect(installed).toEqual(installedInOrder(oracle.root));
    expect([...installed].sort()).toEqual(
      ours.packages.map((p) => `${p.name}-${p.version.replace(/^\d+:/, '')}.${p.architecture}`).sort(),
    );
  });

  it("runs shell scriptlets, %triggerin, %filetriggerin, %posttrans and %transfiletriggerin in dnf's order, with its arguments and stdin", () => {
    const log = readFileSync(join(ours.target, 'el-order.log'), 'utf8');
    expect(log).toBe(readFileSync(join(oracle.root, 'el-order.log'), 'utf8'));
    expect(log).toContain('el-trigger-host %triggerin 1 1');
    // One script for two installed names runs once.
    expect(log.match(/^el-trigger-late %triggerin 1 1$/gm)).toHaveLength(1);
    expect(ours.scriptlets.failures).toEqual([]);
  });

  it("runs the <lua> scriptlets before the image has rpm with the host's librpm inside the root, to dnf's effects", () => {
    const lua = ours.scriptlets.events.filter((e) => e.package === 'el-lua' || e.package === 'el-fs-lua');
    expect(lua.map((e) => [e.package, e.scriptlet, e.status, e.interpreter])).toEqual(
      expect.arrayContaining([
        ['el-fs-lua', 'pretrans', 'ran', expect.stringMatching(/^host librpm 4\.\d+/)],
        ['el-lua', 'pretrans', 'ran', expect.stringMatching(/^host librpm/)],
        ['el-lua', 'post', 'ran', expect.stringMatching(/^host librpm/)],
      ]),
    );
    expect(ours.scriptlets.events.filter((e) => e.package === 'el-lua-filetrigger').map((e) => e.scriptlet)).toEqual(
      expect.arrayContaining(['filetriggerin']),
    );
    expect(ours.scriptlets.skipped).toEqual([]);
    // %pretrans: posix.stat of a fresh root (the rpmdb folder already there: rpm opened it first),
    // arg as rpm sets it ("<lua>", then 1 as an integer), run in /.
    const fsLua = readFileSync(join(ours.target, 'el-fs-lua.out'), 'utf8');
    expect(fsLua).toBe(
      '<lua> integer 1 cwd=/ /=directory /usr=nil /el-merged=nil /bin/sh=nil /var/lib/rpm=directory\n',
    );
    // A <lua> file trigger reads the matching paths with rpm.next_file().
    expect(readFileSync(join(ours.target, 'el-lua-filetrigger.out'), 'utf8')).toMatch(
      /^filetriggerin 0: \/usr\/share\/el-data\//m,
    );
    for (const file of ['el-fs-lua.out', 'el-lua-pretrans.out', 'el-lua.out', 'el-lua-filetrigger.out'])
      expect(readFileSync(join(ours.target, file), 'utf8'), file).toBe(readFileSync(join(oracle.root, file), 'utf8'));
    expect(readFileSync(join(ours.target, 'el-lua.out'), 'utf8')).toBe('lua post 1\n');
    // The package's /el-merged/data landed through the symlink its %pretrans made, as under rpm.
    for (const root of [ours.target, oracle.root]) {
      expect(lstatSync(join(root, 'el-merged')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(root, 'usr/el-merged/data'), 'utf8')).toBe('merged\n');
    }
  });

  it('answers rpm -q --whatprovides and -qf (a %ghost file too) as for the dnf root, and rpm -Va (and -Va --nomtime) is clean', () => {
    for (const args of [
      ['-q', '--whatprovides', '/bin/sh'],
      ['-qf', '/var/log/el.log'],
      ['-qf', '/usr/share/el/shared/same'],
      ['-q', '--whatprovides', 'el-data'],
    ]) {
      const a = rpmOn(ours.target, args);
      expect(a.stdout, args.join(' ')).toBe(rpmOn(oracle.root, args).stdout);
      expect(a.status).toBe(0);
    }
    expect(rpmOn(ours.target, ['-qf', '/usr/share/el/shared/same']).stdout).toBe(
      'el-same-b-1.0-1.noarch\nel-same-a-1.0-1.noarch\n',
    );
    // Clean as built (file times from the headers), and with --nomtime once later stages clamp them.
    for (const flags of [[], ['--nomtime']]) {
      const verify = rpmOn(ours.target, ['-Va', ...flags]);
      expect(verify.stdout + verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    }
  });

  it("lets dnf list the installed packages as in dnf's own root, and dnf check finds nothing", () => {
    // name.arch and version; the repository column is dnf's own history (@df there, @System here).
    const listed = (root: string) =>
      dnfOn(root, ['list', 'installed'])
        .output.split('\n')
        .filter((l) => /^\S+\.(noarch|x86_64)\s/.test(l))
        .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    const ourList = listed(ours.target);
    expect(ourList.length).toBe(ours.packages.length);
    expect(ourList).toEqual(listed(oracle.root));
    expect(dnfOn(ours.target, ['check'])).toEqual({ status: 0, output: '' });
  });

  it('installs %config files and leaves %ghost ones uncreated (but owned), as dnf does', () => {
    for (const root of [ours.target, oracle.root]) {
      expect(readFileSync(join(root, 'etc/el/el.conf'), 'utf8')).toBe('setting=1\n');
      expect(statSync(join(root, 'etc/el/el.conf')).mode & 0o7777).toBe(0o640);
      expect(existsSync(join(root, 'var/log/el.log'))).toBe(false);
      expect(existsSync(join(root, 'run/el'))).toBe(false);
    }
    expect(rpmOn(ours.target, ['-qc', 'el-config']).stdout).toBe('/etc/el/el.conf\n');
  });

  it('keeps the rpmdb files to the builder on disk and gives them to root in the manifest', () => {
    const db = join(ours.target, 'var/lib/rpm/rpmdb.sqlite');
    expect(lstatSync(db).uid).toBe(process.getuid!());
    expect(ours.manifest.entries.find((e) => e.path === '/var/lib/rpm/rpmdb.sqlite')).toMatchObject({
      uid: 0,
      gid: 0,
      mode: 0o644,
    });
  });

  it('writes a byte-identical rpmdb on a second build: transaction id SOURCE_DATE_EPOCH, install times from it in install order', async () => {
    const again = await build(join(work, 'again'));
    expect(
      readFileSync(join(again.target, 'var/lib/rpm/rpmdb.sqlite')).equals(
        readFileSync(join(ours.target, 'var/lib/rpm/rpmdb.sqlite')),
      ),
    ).toBe(true);
    const times = rpmOn(ours.target, ['-qa', '--qf', '%{INSTALLTID} %{INSTALLTIME}\\n'])
      .stdout.split('\n')
      .filter(Boolean);
    expect(times).toEqual(times.map((_, i) => `${EPOCH} ${EPOCH + i}`));
  }, 300_000);
});

describe('rpm transactions that cannot be installed', () => {
  it('refuses two packages with different files at one path, naming both and the path, as dnf does; nothing is left', async () => {
    const target = join(work, 'conflict');
    const error = await build(target, { include: ['el-conflict-a', 'el-conflict-b'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmFileConflictError);
    expect((error as RpmFileConflictError).code).toBe('ERR_BOOTSTRAP_RPM_FILE_CONFLICT');
    expect((error as RpmFileConflictError).conflicts).toEqual([
      { path: '/usr/share/el/conflict', packages: ['el-conflict-a-1.0-1.noarch', 'el-conflict-b-1.0-1.noarch'] },
    ]);
    expect(existsSync(target)).toBe(false);
    const dnf = dnfInstall(repoDir, ['el-conflict-a', 'el-conflict-b']);
    dnfDirs.push(dnf.dir);
    expect(dnf.status).not.toBe(0);
    expect(dnf.output).toContain(
      'file /usr/share/el/conflict conflicts between attempted installs of el-conflict-a-1.0-1.noarch and el-conflict-b-1.0-1.noarch',
    );
    expect((error as RpmFileConflictError).message).toContain(
      'file /usr/share/el/conflict conflicts between attempted installs of el-conflict-a-1.0-1.noarch and el-conflict-b-1.0-1.noarch',
    );
  });

  it('stops at a failing %pre with the scriptlet and its log tail, leaving no tree; dnf fails the same request', async () => {
    const target = join(work, 'pre-fail');
    const error = await build(target, { include: ['el-pre-fail'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmScriptletError);
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_RPM_SCRIPTLET',
      package: 'el-pre-fail',
      scriptlet: 'pre',
      exitCode: 7,
    });
    expect((error as RpmScriptletError).logTail).toContain('el-pre-fail: refusing to install');
    expect(existsSync(target)).toBe(false);
    const dnf = dnfInstall(repoDir, ['el-pre-fail']);
    dnfDirs.push(dnf.dir);
    expect(dnf.status).not.toBe(0);
    expect(rpmOn(dnf.root, ['-q', 'el-pre-fail']).status).not.toBe(0);
  });
});
