import { readRpm } from '@distroforge/rpm-extract';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRpmFileConflicts } from '../src/index.js';

// rpm's file-sharing rule, case by case: two packages carrying one path, built by rpmbuild here,
// checked by findRpmFileConflicts and by the host's rpm (`rpm -i --test`, which refuses a file
// conflict) as the oracle.
const CASES: Record<
  string,
  { a: { install: string; files: string }; b?: { install: string; files: string }; conflict: boolean }
> = {
  identical: { a: { install: 'echo same > $F', files: '%attr(0644, root, root) $P' }, conflict: false },
  'identical-other-mtime': {
    a: { install: 'echo same > $F; touch -d @1000000000 $F', files: '%attr(0644, root, root) $P' },
    b: { install: 'echo same > $F; touch -d @1500000000 $F', files: '%attr(0644, root, root) $P' },
    conflict: false,
  },
  'other-content': {
    a: { install: 'echo a > $F', files: '$P' },
    b: { install: 'echo b > $F', files: '$P' },
    conflict: true,
  },
  'other-mode': {
    a: { install: 'echo same > $F', files: '%attr(0644, root, root) $P' },
    b: { install: 'echo same > $F', files: '%attr(0755, root, root) $P' },
    conflict: true,
  },
  'other-owner': {
    a: { install: 'echo same > $F', files: '%attr(0644, root, root) $P' },
    b: { install: 'echo same > $F', files: '%attr(0644, nobody, root) $P' },
    conflict: true,
  },
  'other-group': {
    a: { install: 'echo same > $F', files: '%attr(0644, root, root) $P' },
    b: { install: 'echo same > $F', files: '%attr(0644, root, nogroup) $P' },
    conflict: true,
  },
  'same-symlink': { a: { install: 'ln -s target $F', files: '$P' }, conflict: false },
  'other-symlink': {
    a: { install: 'ln -s one $F', files: '$P' },
    b: { install: 'ln -s two $F', files: '$P' },
    conflict: true,
  },
  'same-directory': { a: { install: 'mkdir $F', files: '%attr(0755, root, root) %dir $P' }, conflict: false },
  'directory-other-mode': {
    a: { install: 'mkdir $F', files: '%attr(0755, root, root) %dir $P' },
    b: { install: 'mkdir $F', files: '%attr(0700, root, root) %dir $P' },
    conflict: true,
  },
  'directory-other-owner': {
    a: { install: 'mkdir $F', files: '%attr(0755, root, root) %dir $P' },
    b: { install: 'mkdir $F', files: '%attr(0755, nobody, root) %dir $P' },
    conflict: true,
  },
  'ghost-beside-file': {
    a: { install: 'echo a > $F', files: '$P' },
    b: { install: 'echo b > $F', files: '%ghost $P' },
    conflict: false,
  },
  'file-beside-directory': {
    a: { install: 'echo a > $F', files: '$P' },
    b: { install: 'mkdir $F', files: '%dir $P' },
    conflict: true,
  },
};

let work: string;
const built = new Map<string, string>();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-rpm-conflicts-'));
  const top = join(work, 'top');
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  // Two spec files (side a and side b), one subpackage per case in each: a path staged once per build.
  for (const side of ['a', 'b'] as const) {
    const spec = [
      '%global debug_package %{nil}',
      `Name: cf-${side}`,
      'Version: 1',
      'Release: 1',
      'Summary: cf',
      'License: MIT',
      'BuildArch: noarch',
      'AutoReqProv: no',
      '%description',
      'cf',
      '%install',
    ];
    const subs: string[] = [];
    for (const [name, c] of Object.entries(CASES)) {
      const def = (side === 'b' ? c.b : undefined) ?? c.a;
      spec.push(`mkdir -p %{buildroot}/cf && F=%{buildroot}/cf/${name} && ${def.install}`);
      subs.push(
        `%package -n cf-${name}-${side}`,
        'Summary: cf',
        `%description -n cf-${name}-${side}`,
        'cf',
        `%files -n cf-${name}-${side}`,
        def.files.replace('$P', `/cf/${name}`),
      );
    }
    spec.push('%files', ...subs, '');
    const file = join(top, 'SPECS', `cf-${side}.spec`);
    writeFileSync(file, spec.join('\n'));
    execFileSync(
      'rpmbuild',
      [
        '-bb',
        '--quiet',
        '--define',
        `_topdir ${top}`,
        '--define',
        '_binary_payload w1.gzdio',
        '--define',
        '__os_install_post %{nil}',
        '--define',
        '_build_id_links none',
        file,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  for (const f of readdirSync(join(top, 'RPMS', 'noarch'))) {
    const m = /^cf-(.+)-([ab])-1-1\.noarch\.rpm$/.exec(f);
    if (m) built.set(`${m[1]}-${m[2]}`, join(top, 'RPMS', 'noarch', f));
  }
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("rpm's rule for one path in two packages (findRpmFileConflicts vs rpm -i --test)", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: ${c.conflict ? 'a conflict' : 'shared'}`, async () => {
      const files = [built.get(`${name}-a`)!, built.get(`${name}-b`)!];
      const members = await Promise.all(
        files.map(async (file, i) => ({ id: `cf-${name}-${i === 0 ? 'a' : 'b'}`, files: (await readRpm(file)).files })),
      );
      const ours = findRpmFileConflicts(members);
      expect(ours).toEqual(c.conflict ? [{ path: `/cf/${name}`, packages: [`cf-${name}-a`, `cf-${name}-b`] }] : []);
      const root = mkdtempSync(join(work, 'root-'));
      const rpm = spawnSync(
        'rpm',
        ['--root', root, '--dbpath', '/var/lib/rpm', '--test', '--nodeps', '--nosignature', '-i', ...files],
        { encoding: 'utf8' },
      );
      expect(rpm.status !== 0, rpm.stderr).toBe(c.conflict);
      if (c.conflict) expect(rpm.stderr).toContain(`file /cf/${name} conflicts between attempted installs of`);
    });
  }
});
