import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelPackageOf, loadProfile, parsePackageList, parseProfile, ProfileError } from '@distroforge/cli';

const minimal = `name: demo\nsource:\n  type: apt\n`;

function errorOf(text: string): ProfileError {
  try {
    parseProfile(text, 'p/profile.yaml');
  } catch (e) {
    if (e instanceof ProfileError) return e;
    throw e;
  }
  throw new Error('expected a ProfileError');
}

describe('parseProfile', () => {
  it('fills defaults', () => {
    const p = parseProfile(minimal);
    expect(p.source).toEqual({
      type: 'apt',
      suite: 'bookworm',
      components: ['main'],
      recommends: false,
      variant: 'minbase',
    });
    expect(p.outputs).toEqual(['iso']);
    expect(p.firmware).toEqual(['bios', 'uefi']);
    expect(p.kernel.package).toBeUndefined();
    expect(kernelPackageOf(p)).toBe('linux-image-amd64');
    expect(kernelPackageOf(parseProfile('name: r\nsource: { type: rpm-dir, location: ./rpms }\n'))).toBe('kernel');
    expect(
      kernelPackageOf(
        parseProfile('name: r\nsource: { type: rpm-dir, location: ./rpms }\nkernel: { package: kernel-core }\n'),
      ),
    ).toBe('kernel-core');
    expect(p.disk).toEqual({ root: 'ext4', freeSpace: '512M', format: 'raw', partitions: [] });
  });

  it('accepts disk sizes with units and refuses others', () => {
    const p = parseProfile(
      'name: d\nsource: { type: apt }\ndisk: { size: 4G, partitions: [{ name: swap, type: swap, size: 512M }] }\n',
    );
    expect(p.disk.size).toBe('4G');
    expect(() => parseProfile('name: d\nsource: { type: apt }\ndisk: { size: 4 gigs }\n', 'p/profile.yaml')).toThrow(
      /disk\.size/,
    );
  });

  it('names file, line, key and a likely fix for an unknown key', () => {
    const e = errorOf(`${minimal}hostnmae: box\n`);
    expect(e.code).toBe('ERR_PROFILE_INVALID');
    expect(e.path).toBe('p/profile.yaml:4:1');
    expect(e.key).toBe('hostnmae');
    expect(e.hint).toBe('did you mean "hostname"?');
  });

  it('finds unknown keys nested in lists', () => {
    const e = errorOf(`${minimal}users:\n  - name: alice\n    grups: [kvm]\n`);
    expect(e.path).toBe('p/profile.yaml:6:5');
    expect(e.key).toBe('users.0.grups');
    expect(e.hint).toBe('did you mean "groups"?');
  });

  it('points at a bad value and lists the allowed ones', () => {
    const e = errorOf(`name: demo\nsource:\n  type: apt\n  variant: tiny\n`);
    expect(e.path).toBe('p/profile.yaml:4:12');
    expect(e.key).toBe('source.variant');
    expect(e.hint).toMatch(/essential, minbase/);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = errorOf(`name: demo\nsource: [\n`);
    expect(e.message).toMatch(/YAML syntax/);
    expect(e.line).toBeGreaterThanOrEqual(2);
  });

  it('rejects bad permission strings and conflicting passwords', () => {
    expect(errorOf(`${minimal}permissions:\n  /etc/shadow: "root:shadow"\n`).key).toBe('permissions./etc/shadow');
    expect(errorOf(`${minimal}users:\n  - name: bob\n    password: x\n    passwordHash: y\n`).key).toBe(
      'users.0.passwordHash',
    );
  });

  it('points a missing required key at its parent', () => {
    const e = errorOf(`name: demo\nsource:\n  suite: bookworm\n`);
    expect(e.key).toBe('source.type');
    expect(e.line).toBe(3);
  });
});

describe('parsePackageList', () => {
  it('reads names, ignores comments and blanks, rejects junk with its line', () => {
    expect(parsePackageList('# base\nsystemd-sysv\n\nlinux-image-amd64  # kernel\n')).toEqual([
      'systemd-sysv',
      'linux-image-amd64',
    ]);
    expect(() => parsePackageList('ok\nnot a package\n', 'packages.txt')).toThrow(/packages.txt:2:1/);
  });
});

describe('loadProfile: what the source cannot honour, and the overlay', () => {
  async function profileDir(yaml: string, files: Record<string, string> = {}): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'df-profile-'));
    await writeFile(join(dir, 'profile.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }
  const refusal = async (dir: string) =>
    (await loadProfile(dir).then(
      () => undefined,
      (e: unknown) => e,
    )) as ProfileError;

  it('refuses a symlinked airootfs (it would copy host files into the image), and an airootfs that is a file', async () => {
    const host = await mkdtemp(join(tmpdir(), 'df-host-'));
    await writeFile(join(host, 'secret'), 'host file');
    for (const source of ['{type: busybox}\noutputs: [initramfs]', '{type: apt}']) {
      const dir = await profileDir(`name: x\nsource: ${source}\n`);
      await symlink(host, join(dir, 'airootfs'));
      const error = await refusal(dir);
      expect(error).toBeInstanceOf(ProfileError);
      expect(error.message).toContain(`airootfs is a symbolic link (to ${host})`);
      expect(error.path).toBe(join(dir, 'airootfs'));
    }
    const file = await profileDir('name: x\nsource: {type: apt}\n', { airootfs: 'not a tree' });
    expect((await refusal(file)).message).toContain('airootfs is not a directory');
    const real = await profileDir('name: x\nsource: {type: apt}\n');
    await mkdir(join(real, 'airootfs'));
    expect((await loadProfile(real)).overlayDir).toBe(join(real, 'airootfs'));
  });

  it('refuses keys a busybox source cannot honour, at their line', async () => {
    for (const [yaml, key, line] of [
      ['users:\n  - name: alice\n', 'users', 4],
      ['services:\n  enable: [sshd.service]\n', 'services', 4],
      ['timezone: Europe/Berlin\n', 'timezone', 4],
      ['permissions:\n  /etc/x: "0:0:600"\n', 'permissions', 4],
    ] as const) {
      const error = await refusal(await profileDir(`name: x\nsource: {type: busybox}\noutputs: [initramfs]\n${yaml}`));
      expect(error.code).toBe('ERR_PROFILE_INVALID');
      expect(error.key).toBe(key);
      expect(error.line).toBe(line);
      expect(error.message).toContain('a busybox source cannot honour it');
    }
    const listed = await refusal(
      await profileDir('name: x\nsource: {type: busybox}\n', { 'packages.txt': '# comment\nvim\n' }),
    );
    expect(listed.path).toMatch(/packages\.txt:2:1$/);
    expect(listed.message).toContain('"vim": a busybox source installs no packages');
  });

  it('names a package entry the source cannot take (a:b:c for apt) at its line', async () => {
    const yamlEntry = await refusal(await profileDir('name: x\nsource: {type: apt}\npackages:\n  - vim\n  - a:b:c\n'));
    expect(yamlEntry.key).toBe('packages.1');
    expect(yamlEntry.line).toBe(5);
    expect(yamlEntry.message).toContain('not a package name for an apt source: "a:b:c"');
    const listed = await refusal(
      await profileDir('name: x\nsource: {type: apt}\n', { 'packages.txt': 'vim\nlibc6:amd64\n' }),
    );
    expect(listed.path).toMatch(/packages\.txt:2:1$/);
    // RPM sources take groups and name.arch.
    const rpm = await profileDir('name: x\nsource: {type: rpm-dir, location: ./rpms}\n', {
      'packages.txt': '@core\nbash.x86_64\n',
    });
    expect((await loadProfile(rpm)).packages).toEqual(['@core', 'bash.x86_64']);
  });
});

describe("users, groups, services and autologin follow overlay-apply's rules", () => {
  it('refuses what overlay-apply would refuse, when the profile loads', () => {
    expect(errorOf(`${minimal}services:\n  defaultTarget: multi-user.service\n`).message).toContain(
      'must be a .target unit',
    );
    expect(errorOf(`${minimal}services:\n  enable: ["not a unit"]\n`).message).toContain('must be a unit name');
    expect(errorOf(`${minimal}users:\n  - name: alice\n    home: relative/home\n`).message).toContain(
      'must be an absolute path',
    );
    // gid was accepted and silently ignored; the primary group is named.
    const gid = errorOf(`${minimal}users:\n  - name: alice\n    gid: 1001\n`);
    expect(gid.message).toContain('unknown key');
    expect(gid.key).toBe('users.0.gid');
    expect(errorOf(`${minimal}autologin:\n  consoles: ["tty 1"]\n`).message).toContain('must be a device name');
  });

  it("has one default per setting: a system user's shell and the autologin consoles come from overlay-apply", () => {
    const profile = parseProfile(
      `${minimal}users:\n  - name: daemon-user\n    system: true\n  - name: alice\n    group: staff\n    homeMode: "0750"\nautologin: {}\n`,
    );
    expect(profile.users[0]?.shell).toBeUndefined();
    expect(profile.users[1]).toMatchObject({ group: 'staff', homeMode: 0o750 });
    expect(profile.autologin?.consoles).toEqual(['tty1', 'ttyS0']);
  });
});

describe('overlaySettings', () => {
  it("hands overlay-apply users and groups it accepts, the profile's password fields translated", async () => {
    const { overlaySettings } = await import('../src/pipeline/stage-overlay.js');
    const { applyProfileOptionsSchema } = await import('@distroforge/overlay-apply');
    const { emptyManifest } = await import('@distroforge/core');
    const profile = parseProfile(
      `${minimal}users:\n  - name: alice\n    homeMode: "0750"\n    comment: Alice A\n    password: secret\n  - name: bob\n    passwordHash: "!"\ngroups:\n  - name: staff\n    members: [alice]\n`,
    );
    const options = applyProfileOptionsSchema.parse({
      root: '/r',
      manifest: emptyManifest(),
      ...overlaySettings(profile),
    });
    expect(options.users[0]).toMatchObject({
      name: 'alice',
      homeMode: 0o750,
      gecos: 'Alice A',
      password: { plain: 'secret' },
    });
    expect(options.users[1]).toMatchObject({ name: 'bob', password: { hash: '!' } });
    expect(options.groups[0]).toMatchObject({ name: 'staff', members: ['alice'] });
  });
});
