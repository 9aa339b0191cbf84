import { execa } from 'execa';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EL_SYSTEM_REQUEST } from '../../../tools/rpm-test-repo/el-system-packages.mjs';
import { bundleScript } from '../../../tools/testing/bundle-script.mjs';
import { ordinaryUser, type OrdinaryUser } from '../../../tools/testing/ordinary-user.mjs';
import { readableCopy } from '../../../tools/testing/readable-copy.mjs';
import { bootstrapRpmRootfs, type RpmBootstrapResult } from '../src/index.js';
import { dnfInstall, installedInOrder, rpmOn } from './rpm-el-helpers.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// The EL-system transaction of rpm-el-system.test.ts built by an ordinary user (the test creates one
// when it runs as root): scriptlets in a user namespace mapped to its subordinate range, the rpmdb
// by the host's rpm run as that user. Compared with the build by the invoking user (root in CI) and
// with dnf --installroot.
const EPOCH = '1700000000';
let user: OrdinaryUser;
let work: string;
let probe: { file: string; remove: () => Promise<void> };
let rootless: RpmBootstrapResult;
let invoking: RpmBootstrapResult;
let oracle: ReturnType<typeof dnfInstall> | undefined;

beforeAll(async () => {
  user = await ordinaryUser();
  probe = await bundleScript(join(import.meta.dirname, 'fixtures/rpm-bootstrap-probe.ts'));
  work = mkdtempSync(join(tmpdir(), 'rpm-el-rootless-'));
  chmodSync(work, 0o777);
  // The user reads the repository from a copy: the checkout may be closed to other users.
  const repo = readableCopy((await rpmTestRepo()).dir, work, 'repo');
  const options = (name: string) => ({
    source: `rpm-repo:${repo}`,
    include: EL_SYSTEM_REQUEST,
    weakDeps: false,
    architecture: 'x86_64',
    scriptlets: true,
    target: join(work, name),
    cacheDir: join(work, `cache-${name}`),
    logFile: join(work, `${name}.log`),
  });
  // setpriv --reset-env clears the environment: SOURCE_DATE_EPOCH goes through env(1).
  const [command, ...args] = [
    ...user.prefix,
    'env',
    `SOURCE_DATE_EPOCH=${EPOCH}`,
    process.execPath,
    probe.file,
    JSON.stringify(options('rootless')),
  ] as unknown as [string, ...string[]];
  const { stdout } = await execa(command, args, { cwd: '/', timeout: 300_000 });
  const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    result?: RpmBootstrapResult;
    code?: string;
    message?: string;
  };
  expect(answer.code, answer.message).toBeUndefined();
  rootless = answer.result!;
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  invoking = await bootstrapRpmRootfs(options('invoking'));
  if (process.getuid!() === 0) oracle = dnfInstall(repo, EL_SYSTEM_REQUEST);
}, 600_000);

afterAll(async () => {
  await probe?.remove();
  for (const dir of [work, oracle?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an EL-system rpm transaction built by an ordinary user', () => {
  it('runs the scriptlets (<lua> ones too) in the order and with the effects of the build by the invoking user (and of dnf --installroot when that is root)', () => {
    const log = readFileSync(join(rootless.target, 'el-order.log'), 'utf8');
    expect(log).toBe(readFileSync(join(invoking.target, 'el-order.log'), 'utf8'));
    if (oracle) expect(log).toBe(readFileSync(join(oracle.root, 'el-order.log'), 'utf8'));
    expect(rootless.scriptlets.events).toEqual(invoking.scriptlets.events);
    expect(rootless.scriptlets.failures).toEqual([]);
    // <lua> before the image has rpm: the host's librpm entered the root in the user's namespace.
    expect(rootless.scriptlets.skipped).toEqual([]);
    for (const file of ['el-fs-lua.out', 'el-lua-pretrans.out', 'el-lua.out', 'usr/el-merged/data'])
      expect(readFileSync(join(rootless.target, file), 'utf8'), file).toBe(
        readFileSync(join(invoking.target, file), 'utf8'),
      );
  });

  it("writes the invoking user's rpmdb byte for byte, and rpm -qa and -Va --nomtime agree", () => {
    expect({ ...rootless.rpmdb, ms: 0 }).toEqual({ ...invoking.rpmdb, ms: 0 });
    expect(rootless.rpmdb.installTime).toBe(Number(EPOCH));
    const db = (r: RpmBootstrapResult) => readFileSync(join(r.target, 'var/lib/rpm/rpmdb.sqlite'));
    expect(db(rootless).equals(db(invoking))).toBe(true);
    expect(installedInOrder(rootless.target)).toEqual(installedInOrder(invoking.target));
    const verify = rpmOn(rootless.target, ['-Va', '--nomtime', '--nouser', '--nogroup']);
    expect(verify.stdout + verify.stderr).toBe('');
  });

  it('gives the same manifest owners, and leaves every file of the tree to the user who built it', () => {
    const owners = (r: RpmBootstrapResult) =>
      r.manifest.entries.map((e) => `${e.path} ${e.uid ?? '-'}:${e.gid ?? '-'} ${e.mode?.toString(8) ?? '-'}`).sort();
    expect(owners(rootless)).toEqual(owners(invoking));
    const foreign: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stats = lstatSync(path);
        if (stats.uid !== user.uid || stats.gid !== user.gid) foreign.push(`${path} ${stats.uid}:${stats.gid}`);
        if (stats.isDirectory()) walk(path);
      }
    };
    walk(rootless.target);
    expect(foreign).toEqual([]);
  });
});
