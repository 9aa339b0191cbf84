import { emptyManifest, manifestLookup } from '@distroforge/core';
import { lstat, readFile, readlink, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyProfile, type ApplyProfileOptions } from '../src/index.js';
import { makeFixtureRoot, unitLinks } from './fixture-root.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function applied(options: Partial<ApplyProfileOptions>) {
  const root = await makeFixtureRoot();
  roots.push(root);
  const result = await applyProfile({ root, manifest: emptyManifest(), sourceDateEpoch: 1_700_000_000, ...options });
  return { root, ...result, read: (path: string) => readFile(join(root, path), 'utf8') };
}

describe('common settings', () => {
  it('hostname goes to /etc/hostname and the 127.0.1.1 line of /etc/hosts', async () => {
    const { read, root } = await applied({ hostname: 'forge' });
    expect(await read('etc/hostname')).toBe('forge\n');
    expect(await read('etc/hosts')).toBe(
      '127.0.0.1\tlocalhost\n127.0.1.1\tforge\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n',
    );
    await applyProfile({ root, manifest: emptyManifest(), hostname: 'other' });
    expect((await read('etc/hosts')).split('\n')[1]).toBe('127.0.1.1\tother');
  });

  it('edits os-release through its symlink, keeping the symlink and quoting values', async () => {
    const { read, root } = await applied({
      osRelease: { PRETTY_NAME: 'Forge Live 1 "beta"', VARIANT_ID: 'live', ID: 'debian' },
    });
    expect(await readlink(join(root, 'etc/os-release'))).toBe('../usr/lib/os-release');
    const text = await read('usr/lib/os-release');
    expect(text.split('\n')[0]).toBe('PRETTY_NAME="Forge Live 1 \\"beta\\""');
    expect(text).toContain('\nID=debian\n');
    expect(text.endsWith('VARIANT_ID=live\n')).toBe(true);
    expect(text).toContain('VERSION_CODENAME=bookworm\n');
  });

  it('timezone: /etc/localtime symlink and /etc/timezone; an unknown zone is ERR_TIMEZONE_UNKNOWN', async () => {
    const { read, root } = await applied({ timezone: 'Europe/Berlin' });
    expect(await readlink(join(root, 'etc/localtime'))).toBe('../usr/share/zoneinfo/Europe/Berlin');
    expect(await read('etc/timezone')).toBe('Europe/Berlin\n');
    await expect(applyProfile({ root, manifest: emptyManifest(), timezone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'ERR_TIMEZONE_UNKNOWN',
      value: 'Mars/Olympus',
    });
  });

  it('locale, motd, sysctl, modules, module options and fstab', async () => {
    const { read } = await applied({
      locale: { LANG: 'en_US.UTF-8', LC_TIME: 'C.UTF-8' },
      motd: 'Welcome to forge\n',
      sysctl: { 'net.ipv4.ip_forward': 1, 'vm.swappiness': '10', 'kernel.sysrq': true },
      modules: ['kvm', 'kvm_intel', 'vfio-pci'],
      moduleOptions: { kvm: { ignore_msrs: 1, report_ignored_msrs: 0 }, kvm_intel: 'nested=1' },
      fstab: [
        { spec: 'tmpfs', file: '/tmp', vfstype: 'tmpfs', options: 'mode=1777,nosuid' },
        { spec: 'LABEL=data', file: '/data', vfstype: 'ext4', passno: 2 },
      ],
    });
    expect(await read('etc/locale.conf')).toBe('LANG=en_US.UTF-8\nLC_TIME=C.UTF-8\n');
    expect(await read('etc/default/locale')).toBe('LANG=en_US.UTF-8\nLC_TIME=C.UTF-8\n');
    expect(await read('etc/motd')).toBe('Welcome to forge\n');
    expect(await read('etc/sysctl.d/90-distroforge.conf')).toContain(
      'net.ipv4.ip_forward = 1\nvm.swappiness = 10\nkernel.sysrq = 1\n',
    );
    expect(await read('etc/modules-load.d/distroforge.conf')).toContain('\nkvm\nkvm_intel\nvfio-pci\n');
    expect(await read('etc/modprobe.d/distroforge.conf')).toContain(
      '\noptions kvm ignore_msrs=1 report_ignored_msrs=0\noptions kvm_intel nested=1\n',
    );
    expect(await read('etc/fstab')).toBe(
      '# UNCONFIGURED FSTAB FOR BASE SYSTEM\ntmpfs\t/tmp\ttmpfs\tmode=1777,nosuid\t0\t0\nLABEL=data\t/data\text4\tdefaults\t0\t2\n',
    );
  });

  it('a locale given as a string is LANG', async () => {
    const { read } = await applied({ locale: 'C.UTF-8' });
    expect(await read('etc/locale.conf')).toBe('LANG=C.UTF-8\n');
  });

  it('autologin writes the getty drop-ins and enables the instances when asked', async () => {
    const { read, root } = await applied({ autologin: { consoles: ['tty1', 'ttyS0'], enable: true } });
    expect(await read('etc/systemd/system/getty@tty1.service.d/autologin.conf')).toBe(
      "[Service]\nExecStart=\nExecStart=-/sbin/agetty -o '-p -f -- \\\\u' --noclear --autologin root - $TERM\n",
    );
    expect(await read('etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf')).toBe(
      "[Service]\nExecStart=\nExecStart=-/sbin/agetty -o '-p -f -- \\\\u' --keep-baud --autologin root 115200,57600,38400,9600 - $TERM\n",
    );
    expect(await unitLinks(root)).toEqual([
      '/getty.target.wants/getty@tty1.service -> /lib/systemd/system/getty@.service',
      '/getty.target.wants/serial-getty@ttyS0.service -> /lib/systemd/system/serial-getty@.service',
      '/systemd-firstboot.service -> /dev/null',
    ]);
  });

  it('autologin as another user on one console, without enabling', async () => {
    const { read, root } = await applied({
      autologin: { user: 'alice', consoles: ['hvc0'] },
      users: [{ name: 'alice' }],
      firstboot: 'keep',
    });
    expect(await read('etc/systemd/system/serial-getty@hvc0.service.d/autologin.conf')).toContain('--autologin alice ');
    expect(await unitLinks(root)).toEqual([]);
    await expect(
      applyProfile({ root, manifest: emptyManifest(), autologin: { user: 'mallory' } }),
    ).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_UNKNOWN',
      value: 'mallory',
    });
  });

  it('machine-id: empty but present by default (0444 in the manifest), systemd-firstboot masked', async () => {
    const { root, manifest, read } = await applied({});
    expect(await read('etc/machine-id')).toBe('');
    expect(manifestLookup(manifest)('/etc/machine-id')).toEqual({
      path: '/etc/machine-id',
      type: 'file',
      uid: 0,
      gid: 0,
      mode: 0o444,
    });
    expect(await readlink(join(root, 'etc/systemd/system/systemd-firstboot.service'))).toBe('/dev/null');
  });

  it('machine-id uninitialized, or kept; no firstboot mask when the unit is absent', async () => {
    const first = await applied({ machineId: 'uninitialized' });
    expect(await first.read('etc/machine-id')).toBe('uninitialized\n');
    const kept = await applied({ machineId: 'keep' });
    await expect(stat(join(kept.root, 'etc/machine-id'))).rejects.toThrow();
    await expect(lstat(join(kept.root, 'etc/systemd/system/systemd-firstboot.service'))).rejects.toThrow();
    const root = await makeFixtureRoot();
    roots.push(root);
    await unlink(join(root, 'usr/lib/systemd/system/systemd-firstboot.service'));
    await applyProfile({ root, manifest: emptyManifest() });
    await expect(lstat(join(root, 'etc/systemd/system/systemd-firstboot.service'))).rejects.toThrow();
  });

  it('takes SOURCE_DATE_EPOCH from the environment for mtimes and shadow lastchg', async () => {
    const root = await makeFixtureRoot();
    roots.push(root);
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1600000000';
    try {
      await applyProfile({ root, manifest: emptyManifest(), motd: 'hi\n', users: [{ name: 'env' }] });
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
    expect((await stat(join(root, 'etc/motd'))).mtimeMs).toBe(1_600_000_000_000);
    expect(await readFile(join(root, 'etc/shadow'), 'utf8')).toContain('\nenv:!:18518:0:99999:7:::\n');
  });

  it('invalid settings name their key', async () => {
    const root = await makeFixtureRoot();
    roots.push(root);
    const cases: Array<[Partial<ApplyProfileOptions>, string]> = [
      [{ hostname: 'bad_host!' }, 'hostname'],
      [{ timezone: '../../etc/passwd' }, 'timezone'],
      [{ services: { enable: ['not a unit'] } }, 'services.enable.0'],
      [{ services: { enable: ['a.service'], mask: ['a.service'] } }, 'services.mask.0'],
      [{ sysctl: { 'kernel.x': 'a\nb' } }, 'sysctl.kernel.x'],
      [{ autologin: { consoles: ['tty1', '../x'] } }, 'autologin.consoles.1'],
      [{ osRelease: { lower: 'x' } }, 'osRelease.lower'],
      [{ unknownKey: 1 } as Partial<ApplyProfileOptions>, ''],
    ];
    for (const [options, key] of cases) {
      await expect(applyProfile({ root, manifest: emptyManifest(), ...options })).rejects.toMatchObject({
        code: 'ERR_OVERLAY_OPTIONS_INVALID',
        value: key,
      });
    }
  });
});
