import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expandGroupIncludes,
  mergeComps,
  parseComps,
  resolveRpmRootfs,
  UnsatisfiableError,
  type RpmResolveOptions,
} from '../src/index.js';
import { dnfInstallSet, rpmTestRepo } from './rpm-fixtures.js';

let repo: string;
let work: string;
let cacheDir: string;

beforeAll(async () => {
  repo = (await rpmTestRepo()).dir;
  work = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-comps-'));
  cacheDir = join(work, 'cache');
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const ours = async (source: string, include: string[], extra: Partial<RpmResolveOptions> = {}) =>
  (await resolveRpmRootfs({ source, include, cacheDir, architecture: 'x86_64', ...extra })).packages.map(
    (p) => `${p.name}-${p.version}.${p.architecture}`,
  );

describe('comps.xml parsing', () => {
  const xml = `<?xml version="1.0"?><comps>
    <group><id>base</id><name>Base</name><name xml:lang="de">Basis</name><description>d</description><default>false</default><uservisible>false</uservisible>
      <packagelist><packagereq type="mandatory">a</packagereq><packagereq>b</packagereq><packagereq type="default">c</packagereq>
      <packagereq type="optional">d</packagereq><packagereq type="conditional" requires="x">e</packagereq></packagelist></group>
    <environment><id>server</id><name>Server</name><grouplist><groupid>base</groupid></grouplist><optionlist><groupid>extra</groupid></optionlist></environment>
  </comps>`;

  it('reads groups (untranslated name, every packagereq type) and environments', () => {
    const comps = parseComps(xml, 'test');
    expect(comps.groups).toEqual([
      {
        id: 'base',
        name: 'Base',
        description: 'd',
        isDefault: false,
        userVisible: false,
        packages: [
          { name: 'a', type: 'mandatory' },
          { name: 'b', type: 'mandatory' },
          { name: 'c', type: 'default' },
          { name: 'd', type: 'optional' },
          { name: 'e', type: 'conditional', requires: 'x' },
        ],
      },
    ]);
    expect(comps.environments).toEqual([
      { id: 'server', name: 'Server', description: '', groups: ['base'], optionalGroups: ['extra'] },
    ]);
    expect(() => parseComps('<nope/>', 'bad.xml')).toThrow(/bad.xml: no <comps> element/);
  });

  it('expands @group by id or name and @^environment, with the requested types', () => {
    const comps = mergeComps([
      parseComps(xml, 'a'),
      parseComps(
        xml.replace('<packagereq type="mandatory">a</packagereq>', '<packagereq type="mandatory">z</packagereq>'),
        'b',
      ),
    ]);
    expect(comps.groups[0]!.packages.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'z']);
    const available = (n: string) => n !== 'c';
    const plain = expandGroupIncludes(['@base', 'other'], comps, { types: ['mandatory', 'default'], available });
    expect(plain.names).toEqual(['a', 'b', 'z', 'other']);
    expect(plain.selections[0]).toEqual({
      request: '@base',
      groups: ['base'],
      packages: ['a', 'b', 'z'],
      missing: ['c'],
      conditional: [{ name: 'e', requires: 'x' }],
    });
    expect(expandGroupIncludes(['@BASE'], comps, { types: ['optional'], available }).names).toEqual(['d']);
    expect(expandGroupIncludes(['@^server'], comps, { types: ['mandatory'], available }).names).toEqual([
      'a',
      'b',
      'z',
    ]);
    expect(() => expandGroupIncludes(['@nope'], comps, { types: ['mandatory'], available })).toThrow(
      UnsatisfiableError,
    );
  });
});

describe('@group includes against dnf --installroot (createrepo_c -g comps.xml)', () => {
  const requests: { include: string[]; groupPackageTypes?: ('mandatory' | 'default' | 'optional')[] }[] = [
    { include: ['@minimal'] },
    { include: ['@core'] }, // mandatory + default, not the optional df-docs
    { include: ['@core'], groupPackageTypes: ['mandatory', 'default', 'optional'] },
    { include: ['@df-tools'] }, // a listed package the repository lacks is skipped
    { include: ['@df-tools', 'df-arch'] }, // the conditional df-plugin-a joins with df-arch
    { include: ['@minimal', 'df-app'] },
  ];

  it('resolves the same package sets as dnf, from the repository and from the folder', async () => {
    for (const request of requests) {
      const extra = request.groupPackageTypes ? { groupPackageTypes: request.groupPackageTypes } : {};
      const fromRepo = await ours(`rpm-repo:${repo}`, request.include, extra);
      expect(fromRepo, request.include.join(' ')).toEqual(await dnfInstallSet(repo, request.include, extra));
      expect(await ours(`rpm-dir:${repo}`, request.include, extra)).toEqual(fromRepo);
    }
  });

  it('reports what each group asked for and starts chains at the group', async () => {
    const plan = await resolveRpmRootfs({
      source: `rpm-repo:${repo}`,
      include: ['@df-tools', 'df-arch'],
      cacheDir,
      architecture: 'x86_64',
    });
    expect(plan.groups).toEqual([
      {
        request: '@df-tools',
        groups: ['df-tools'],
        packages: ['df-app', 'df-locale'],
        missing: ['df-not-in-repo'],
        conditional: [{ name: 'df-plugin-a', requires: 'df-arch' }],
      },
    ]);
    expect(plan.packages.find((p) => p.name === 'df-base')?.chain).toEqual(['@df-tools', 'df-app', 'df-base']);
    expect(plan.packages.find((p) => p.name === 'df-plugin-a')?.chain).toEqual(['@df-tools', 'df-plugin-a']);
    expect(plan.packages.find((p) => p.name === 'df-arch')?.chain).toEqual(['df-arch']);
    const minimal = await resolveRpmRootfs({
      source: `rpm-dir:${repo}`,
      include: ['@Minimal boot'],
      cacheDir,
      architecture: 'x86_64',
    });
    expect(minimal.groups[0]?.groups).toEqual(['minimal']);
  });

  it('names the groups the source has when one is unknown', async () => {
    const error = await ours(`rpm-repo:${repo}`, ['@nope']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect((error as Error).message).toContain('@core, @df-tools, @minimal');
  });

  it('finds comps in ../repodata of a Packages folder, and in an ISO', async () => {
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'BaseOS/Packages'), { recursive: true });
    await mkdir(join(tree, 'BaseOS/repodata'), { recursive: true });
    for (const f of await readdir(repo))
      if (f.endsWith('.rpm')) await cp(join(repo, f), join(tree, 'BaseOS/Packages', f));
    const comps = (await readdir(join(repo, 'repodata'))).find((f) => f.endsWith('-comps.xml'))!;
    await cp(
      join(repo, 'repodata', comps),
      join(tree, 'BaseOS/repodata', `${comps.slice(0, 64)}-comps-BaseOS.x86_64.xml`),
    );
    const expected = await ours(`rpm-repo:${repo}`, ['@minimal']);
    expect(await ours(`rpm-dir:${join(tree, 'BaseOS/Packages')}`, ['@minimal'])).toEqual(expected);
    const iso = join(work, 'rocky-like.iso');
    await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', iso, tree]);
    expect(await ours(`rpm-iso:${iso}`, ['@minimal'])).toEqual(expected);
    const plain = join(work, 'plain');
    await mkdir(plain);
    await cp(
      join(
        tree,
        'BaseOS/Packages',
        (await readdir(join(tree, 'BaseOS/Packages'))).find((f) => f.startsWith('filesystem-'))!,
      ),
      join(plain, 'filesystem.rpm'),
    );
    await expect(ours(`rpm-dir:${plain}`, ['@minimal'])).rejects.toThrow(/the source has no comps.xml/);
  });
});
