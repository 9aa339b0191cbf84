import { emptyManifest } from '@distroforge/core';
import { execa } from 'execa';
import { cp, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProfile } from '../src/index.js';
import { makeFixtureRoot, unitLinks } from './fixture-root.js';

const epoch = 1_700_000_000;
const roots: string[] = [];
let template: string;

beforeAll(async () => {
  template = await makeFixtureRoot();
  roots.push(template);
});
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** Two identical copies of the fixture: one for systemctl --root (the oracle), one for us. */
async function pair(): Promise<[string, string]> {
  const ours = `${template}-ours-${roots.length}`;
  const theirs = `${template}-theirs-${roots.length}`;
  roots.push(ours, theirs);
  await cp(template, ours, { recursive: true, verbatimSymlinks: true });
  await cp(template, theirs, { recursive: true, verbatimSymlinks: true });
  return [ours, theirs];
}

async function systemctl(root: string, ...args: string[]): Promise<void> {
  await execa('systemctl', [`--root=${root}`, ...args], { timeout: 30_000 });
}

const services = (
  root: string,
  s: { enable?: string[]; disable?: string[]; mask?: string[]; defaultTarget?: string },
) => applyProfile({ root, manifest: emptyManifest(), services: s, machineId: 'keep', sourceDateEpoch: epoch });

describe('systemd units without systemctl, compared with systemctl --root', () => {
  const enableCases: string[][] = [
    ['getty@tty1.service'],
    ['serial-getty@ttyS0.service'],
    ['getty@.service'], // DefaultInstance=tty1
    ['systemd-networkd.service'], // Alias + Also= socket
    ['fancy.service'], // WantedBy + RequiredBy + Alias + Also
    ['worker@.service'], // template with DefaultInstance and an Alias using %i
    ['worker@blue.service'],
    ['reset.service'], // an empty WantedBy= resets the list
    ['getty@tty2.service', 'serial-getty@ttyS1.service', 'fancy.service'],
    ['fancy-link.service'], // a unit shipped as an alias symlink enables its target
    ['autovt@tty3.service'], // an aliased template
  ];
  it.each(enableCases)('enable %s creates the same symlinks', async (...units) => {
    const [ours, theirs] = await pair();
    await systemctl(theirs, 'enable', ...units);
    await services(ours, { enable: units });
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
    expect((await unitLinks(ours)).length).toBeGreaterThan(0);
  });

  it('mask and set-default match systemctl', async () => {
    const [ours, theirs] = await pair();
    await systemctl(theirs, 'mask', 'systemd-firstboot.service', 'not-installed.service');
    await systemctl(theirs, 'set-default', 'multi-user.target');
    await services(ours, {
      mask: ['systemd-firstboot.service', 'not-installed.service'],
      defaultTarget: 'multi-user.target',
    });
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
    expect(await unitLinks(ours)).toContain('/default.target -> /lib/systemd/system/multi-user.target');
  });

  it('disable removes what enable made, as systemctl does', async () => {
    const [ours, theirs] = await pair();
    for (const root of [ours, theirs])
      await systemctl(root, 'enable', 'fancy.service', 'getty@tty1.service', 'systemd-networkd.service');
    await systemctl(theirs, 'disable', 'fancy.service', 'systemd-networkd.service');
    const result = await services(ours, { disable: ['fancy.service', 'systemd-networkd.service'] });
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
    expect(result.changes.filter((c) => c.action === 'removed').length).toBeGreaterThan(0);
  });

  it('enables a unit of the overlay in /etc/systemd/system', async () => {
    const [ours, theirs] = await pair();
    const unit =
      '[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/echo hello\n\n[Install]\nWantedBy=multi-user.target\n';
    for (const root of [ours, theirs]) await writeFile(join(root, 'etc/systemd/system/hello.service'), unit);
    await systemctl(theirs, 'enable', 'hello.service');
    await services(ours, { enable: ['hello.service'] });
    expect(await unitLinks(ours)).toEqual([
      '/multi-user.target.wants/hello.service -> /etc/systemd/system/hello.service',
    ]);
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
  });

  it('a static unit enables nothing and says so', async () => {
    const [ours] = await pair();
    const result = await services(ours, { enable: ['static.service'] });
    expect(await unitLinks(ours)).toEqual([]);
    expect(result.warnings).toEqual(['static.service has no [Install] section; nothing to enable (static unit)']);
  });

  it('an unknown unit is ERR_UNIT_UNKNOWN naming it; nothing is written', async () => {
    const [ours] = await pair();
    const error = await services(ours, { enable: ['nope.service'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_UNIT_UNKNOWN', value: 'nope.service' });
    expect(String((error as Error).message)).toContain('nope.service');
    await expect(services(ours, { defaultTarget: 'nope.target' })).rejects.toMatchObject({
      code: 'ERR_UNIT_UNKNOWN',
      value: 'nope.target',
    });
    await expect(services(ours, { disable: ['gone.service'] })).rejects.toMatchObject({ code: 'ERR_UNIT_UNKNOWN' });
  });

  it('refuses to mask over a real unit file, and to enable a masked unit', async () => {
    const [ours] = await pair();
    await writeFile(join(ours, 'etc/systemd/system/local.service'), '[Service]\nExecStart=/bin/true\n');
    await expect(services(ours, { mask: ['local.service'] })).rejects.toMatchObject({ code: 'ERR_UNIT_CONFLICT' });
    await symlink('/dev/null', join(ours, 'etc/systemd/system/fancy.service'));
    await expect(services(ours, { enable: ['fancy.service'] })).rejects.toMatchObject({ code: 'ERR_UNIT_MASKED' });
    // Masked by the distribution itself (Debian ships hwclock.service -> /dev/null).
    await expect(services(ours, { enable: ['hwclock.service'] })).rejects.toMatchObject({
      code: 'ERR_UNIT_MASKED',
      value: 'hwclock.service',
    });
  });

  it('refuses an alias another unit already holds, as systemctl does', async () => {
    const [ours, theirs] = await pair();
    const unit = (alias: string) => `[Service]\nExecStart=/bin/true\n\n[Install]\nAlias=${alias}\n`;
    for (const root of [ours, theirs]) {
      await writeFile(join(root, 'usr/lib/systemd/system/one.service'), unit('shared.service'));
      await writeFile(join(root, 'usr/lib/systemd/system/two.service'), unit('shared.service'));
    }
    await systemctl(theirs, 'enable', 'one.service');
    await expect(systemctl(theirs, 'enable', 'two.service')).rejects.toThrow(/already exists/);
    await services(ours, { enable: ['one.service'] });
    await expect(services(ours, { enable: ['two.service'] })).rejects.toMatchObject({
      code: 'ERR_UNIT_CONFLICT',
      value: 'two.service',
      path: '/etc/systemd/system/shared.service',
    });
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
  });

  it('enabling twice reports no changes the second time', async () => {
    const [ours] = await pair();
    const first = await services(ours, {
      enable: ['fancy.service', 'getty@tty1.service'],
      defaultTarget: 'graphical.target',
    });
    expect(first.changes.length).toBeGreaterThan(0);
    const second = await applyProfile({
      root: ours,
      manifest: first.manifest,
      services: { enable: ['fancy.service', 'getty@tty1.service'], defaultTarget: 'graphical.target' },
      machineId: 'keep',
      sourceDateEpoch: epoch,
    });
    expect(second.changes).toEqual([]);
    expect(second.manifest).toEqual(first.manifest);
  });
});

describe("on a copy of the host's real unit directory", () => {
  it('enabling and disabling every installable unit gives the links systemctl --root gives', async () => {
    const { readdir, readFile: read, lstat: lstatHost } = await import('node:fs/promises');
    const source = '/usr/lib/systemd/system';
    const [ours, theirs] = await pair();
    for (const root of [ours, theirs]) {
      await rm(join(root, 'usr/lib/systemd/system'), { recursive: true });
      await cp(source, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    }
    const installable: string[] = [];
    for (const name of (await readdir(source)).sort()) {
      const stats = await lstatHost(join(source, name));
      if (!stats.isFile()) continue;
      const text = await read(join(source, name), 'utf8');
      if (!/^\[Install\]/m.test(text)) continue;
      if (name.includes('@.') && !/^DefaultInstance=/m.test(text)) continue;
      installable.push(name);
    }
    expect(installable.length).toBeGreaterThan(5);
    // Several targets claim the alias ctrl-alt-del.target; systemctl refuses all but the first.
    const aliases = new Map<string, string>();
    const conflicting = new Set<string>();
    for (const name of installable) {
      for (const alias of (await read(join(source, name), 'utf8')).match(/^Alias=.*$/gm) ?? []) {
        if (aliases.has(alias)) conflicting.add(name);
        else aliases.set(alias, name);
      }
    }
    installable.splice(0, installable.length, ...installable.filter((n) => !conflicting.has(n)));
    await systemctl(theirs, 'enable', ...installable);
    await services(ours, { enable: installable });
    const enabled = await unitLinks(ours);
    expect(enabled).toEqual(await unitLinks(theirs));

    const half = installable.filter((_, i) => i % 2 === 0);
    await systemctl(theirs, 'disable', ...half);
    await applyProfile({
      root: ours,
      manifest: emptyManifest(),
      services: { disable: half },
      machineId: 'keep',
      firstboot: 'keep',
    });
    expect(await unitLinks(ours)).toEqual(await unitLinks(theirs));
    expect((await unitLinks(ours)).length).toBeLessThan(enabled.length);
  });
});
