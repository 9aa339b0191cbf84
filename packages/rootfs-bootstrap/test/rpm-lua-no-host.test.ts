import { ToolMissingError } from '@distroforge/core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrapRpmRootfs, RpmdbError, RpmLuaScriptletError, type RpmBootstrapOptions } from '../src/index.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// A host without python3-rpm: neither the image (no rpm in it) nor the host can run el-lua's
// <lua> scriptlets, and the host cannot write the database as rpm does.
vi.mock('../src/rpm/host-rpm-python.js', () => ({
  findHostRpmPython: () =>
    Promise.reject(new ToolMissingError('python3-rpm (python3 with the rpm module)', 'apt-get install python3-rpm')),
}));

let work: string;
let repo: string;
beforeAll(async () => {
  repo = (await rpmTestRepo()).dir;
  work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-rpm-lua-no-host-'));
}, 300_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const build = (name: string, extra: Partial<RpmBootstrapOptions> = {}) =>
  bootstrapRpmRootfs({
    source: `rpm-repo:${repo}`,
    include: ['el-lua'],
    weakDeps: false,
    architecture: 'x86_64',
    cacheDir: join(work, 'cache'),
    scriptlets: true,
    rpmdb: 'none',
    logFile: join(work, `${name}.log`),
    target: join(work, name),
    ...extra,
  });

describe('<lua> scriptlets on a host without python3-rpm', () => {
  it("are skipped and reported with the reason (luaScriptlets 'skip', the default); the shell ones run", async () => {
    const result = await build('skip');
    expect(result.scriptlets.skipped).toEqual([
      { package: 'el-lua', scriptlets: ['pretrans', 'post'], reason: expect.stringContaining('no python3-rpm') },
    ]);
    expect(result.scriptlets.ran).toContainEqual({ package: 'el-lua', scriptlets: ['pre', 'posttrans'] });
    expect(existsSync(join(result.target, 'el-lua.out'))).toBe(false);
  });

  it("with luaScriptlets 'fail', are a typed error and no tree is left", async () => {
    const error = await build('strict', { luaScriptlets: 'fail' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmLuaScriptletError);
    expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_RPM_LUA', value: 'el-lua' });
    expect(existsSync(join(work, 'strict'))).toBe(false);
  });

  it('refuses to write the rpmdb (RpmdbError with the package to install), leaving no tree', async () => {
    const error = await build('db', { rpmdb: 'auto' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmdbError);
    expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_RPMDB', hint: expect.stringContaining('python3-rpm') });
    expect(existsSync(join(work, 'db'))).toBe(false);
  });
});
