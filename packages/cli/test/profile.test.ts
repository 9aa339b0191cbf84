import { describe, expect, it } from 'vitest';
import { kernelPackageOf, parsePackageList, parseProfile, ProfileError } from '@distroforge/cli';

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
    expect(p.source).toEqual({ type: 'apt', suite: 'bookworm', components: ['main'], variant: 'minbase' });
    expect(p.outputs).toEqual(['iso']);
    expect(p.firmware).toEqual(['bios', 'uefi']);
    expect(p.kernel.package).toBeUndefined();
    expect(kernelPackageOf(p)).toBe('linux-image-amd64');
    expect(kernelPackageOf(parseProfile('name: r\nsource: { type: rpm-dir, location: ./rpms }\n'))).toBe('kernel');
    expect(kernelPackageOf(parseProfile('name: r\nsource: { type: rpm-dir, location: ./rpms }\nkernel: { package: kernel-core }\n'))).toBe('kernel-core');
    expect(p.disk).toEqual({ root: 'ext4', freeSpace: '512M', format: 'raw', partitions: [] });
  });

  it('accepts disk sizes with units and refuses others', () => {
    const p = parseProfile('name: d\nsource: { type: apt }\ndisk: { size: 4G, partitions: [{ name: swap, type: swap, size: 512M }] }\n');
    expect(p.disk.size).toBe('4G');
    expect(() => parseProfile('name: d\nsource: { type: apt }\ndisk: { size: 4 gigs }\n', 'p/profile.yaml')).toThrow(/disk\.size/);
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
    expect(errorOf(`${minimal}users:\n  - name: bob\n    password: x\n    passwordHash: y\n`).key).toBe('users.0.passwordHash');
  });

  it('points a missing required key at its parent', () => {
    const e = errorOf(`name: demo\nsource:\n  suite: bookworm\n`);
    expect(e.key).toBe('source.type');
    expect(e.line).toBe(3);
  });
});

describe('parsePackageList', () => {
  it('reads names, ignores comments and blanks, rejects junk with its line', () => {
    expect(parsePackageList('# base\nsystemd-sysv\n\nlinux-image-amd64  # kernel\n')).toEqual(['systemd-sysv', 'linux-image-amd64']);
    expect(() => parsePackageList('ok\nnot a package\n', 'packages.txt')).toThrow(/packages.txt:2:1/);
  });
});
