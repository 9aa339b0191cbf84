// The build as a table: for every kind of profile, the stages that apply form a graph the scheduler
// can run (each need present, no cycle), every requested output is published by some stage, and
// the scheduler runs independent stages side by side, stops the others on a failure, and reports
// that failure once everything started has settled.
import { describe, expect, it } from 'vitest';
import { runGraph, type GraphNode } from '../src/engine/stage-graph.js';
import { buildStages, isLayered, publicationsOf, stagesFor } from '../src/pipeline/build-stages.js';
import { buildScopeFor, launchOptionsFor } from '../src/pipeline/boot-test.js';
import type { BuildReport } from '../src/pipeline/build-profile.js';
import { PROFILE_OUTPUTS } from '../src/pipeline/output-kinds.js';
import { parseProfile } from '../src/profile/load-profile.js';

function profileWith(source: string, outputs: string[], extra = ''): ReturnType<typeof parseProfile> {
  return parseProfile(`name: p\nsource: ${source}\noutputs: [${outputs.join(', ')}]\n${extra}`);
}

/** Runs the stages that apply with stand-in results; returns the stages run and what they publish. */
async function dryRun(profile: ReturnType<typeof parseProfile>): Promise<{ ran: string[]; kinds: string[] }> {
  const applicable = buildStages.filter((stage) => stage.applies(profile));
  const ran: string[] = [];
  const results = await runGraph(
    applicable.map((stage) => ({
      name: stage.name,
      needs: stage.needs(profile),
      run: async () => {
        ran.push(stage.name);
        return {
          name: stage.name,
          key: stage.name,
          dir: `/state/${stage.name}`,
          cached: false,
          ms: 0,
          result: { file: 'f', type: profile.image.type, kernel: 'k', initrd: 'i', vmlinuz: 'v' },
        };
      },
    })),
    undefined,
    new AbortController(),
  );
  const kinds = publicationsOf(applicable, results, profile).map((p) => p.kind);
  return { ran, kinds };
}

describe('the stage table', () => {
  it('makes the live initramfs from the finished root (RPM, pacman), from the kernel handed over while an apt root is built, from the kernel for busybox', () => {
    const needs = (source: string) => {
      const profile = profileWith(source, ['iso', 'disk']);
      return stagesFor(profile)
        .filter((s) => s.name === 'initramfs')
        .map((s) => s.needs(profile));
    };
    for (const source of ['{type: rpm-dir, location: ./rpms}', '{type: pacman-dir, location: ./repo}'])
      expect(needs(source), source).toEqual([['rootfs']]);
    // It waits for ctx.rootKernel instead, which the rootfs stage settles (test/stage-live-initramfs.test.ts).
    expect(needs('{type: apt}')).toEqual([[]]);
    expect(needs('{type: busybox}')).toEqual([['kernel']]);
  });

  it('publishes every output a profile can ask for, for every source, image type and disk root', async () => {
    for (const source of ['{type: apt}', '{type: rpm-dir, location: ./rpms}']) {
      for (const output of PROFILE_OUTPUTS) {
        for (const extra of ['', 'image: {type: erofs}\n', 'disk: {root: image}\n']) {
          const profile = profileWith(source, [output], extra);
          const { ran, kinds } = await dryRun(profile);
          const wanted = output === 'squashfs' ? profile.image.type : output;
          expect(kinds, `${source} ${output} ${extra}`).toContain(wanted);
          expect(kinds.slice(0, 2)).toEqual(['kernel', 'initramfs']);
          expect(ran.includes('layer')).toBe(isLayered(profile));
        }
      }
    }
    const busybox = await dryRun(profileWith('{type: busybox}', ['initramfs']));
    expect(busybox).toEqual({ ran: ['kernel', 'initramfs'], kinds: ['kernel', 'initramfs'] });
  });

  it('runs stages whose needs are met side by side, in the order of their needs', async () => {
    const events: string[] = [];
    const node = (name: string, needs: string[], ms: number): GraphNode<undefined> => ({
      name,
      needs,
      run: async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
        return name.toUpperCase();
      },
    });
    const results = await runGraph(
      [node('root', [], 5), node('a', ['root'], 30), node('b', ['root'], 5), node('c', ['a', 'b'], 1)],
      undefined,
      new AbortController(),
    );
    expect([...results.entries()]).toEqual([
      ['root', 'ROOT'],
      ['b', 'B'],
      ['a', 'A'],
      ['c', 'C'],
    ]);
    // a and b both started before either ended; c only after both.
    expect(events.indexOf('start b')).toBeLessThan(events.indexOf('end a'));
    expect(events.indexOf('start a')).toBeLessThan(events.indexOf('end b'));
    expect(events.indexOf('start c')).toBeGreaterThan(Math.max(events.indexOf('end a'), events.indexOf('end b')));
  });

  it('on a failure: stops the running stages, starts no more, waits for them, and throws that failure', async () => {
    const events: string[] = [];
    const stop = new AbortController();
    const failing = new Error('overlay failed');
    const nodes: GraphNode<undefined>[] = [
      { name: 'root', needs: [], run: async () => 'r' },
      { name: 'overlay', needs: ['root'], run: async () => Promise.reject(failing) },
      {
        name: 'initramfs',
        needs: ['root'],
        run: () =>
          new Promise((_, reject) => {
            stop.signal.addEventListener('abort', () =>
              setTimeout(() => (events.push('initramfs stopped'), reject(new Error('interrupted'))), 20),
            );
          }),
      },
      { name: 'iso', needs: ['overlay', 'initramfs'], run: async () => (events.push('iso ran'), 'iso') },
    ];
    await expect(runGraph(nodes, undefined, stop)).rejects.toBe(failing);
    expect(events).toEqual(['initramfs stopped']);
    expect(stop.signal.aborted).toBe(true);
  });

  it('refuses a graph with a missing need, a cycle or two stages of one name', async () => {
    const run = async () => 0;
    await expect(runGraph([{ name: 'a', needs: ['b'], run }], undefined, new AbortController())).rejects.toThrow(
      'a needs b, which is not in the graph',
    );
    await expect(
      runGraph(
        [
          { name: 'a', needs: ['b'], run },
          { name: 'b', needs: ['a'], run },
        ],
        undefined,
        new AbortController(),
      ),
    ).rejects.toThrow('cycle a -> b -> a');
    await expect(
      runGraph(
        [
          { name: 'a', needs: [], run },
          { name: 'a', needs: [], run },
        ],
        undefined,
        new AbortController(),
      ),
    ).rejects.toThrow('two nodes named a');
  });
});

describe('a build for boots without a medium (BuildOptions.only)', () => {
  const names = (profile: ReturnType<typeof parseProfile>, scope?: 'share' | 'direct') =>
    stagesFor(profile, scope).map((s) => s.name);
  const scripts = 'scripts: {prepare: [a.sh], postinstall: [b.sh], finalize: [c.sh]}\n';

  it('share: the root, its customization and the live initramfs; no image, layer, ISO, disk, tar or inventory', () => {
    const everything = profileWith('{type: apt}', ['iso', 'disk', 'rootfs-tar'], scripts);
    expect(names(everything)).toEqual([
      'rootfs',
      'prepare',
      'overlay',
      'postinstall',
      'finalize',
      'image',
      'layer',
      'initramfs',
      'iso',
      'disk',
      'rootfs-tar',
      'inventory',
    ]);
    expect(names(everything, 'share')).toEqual([
      'rootfs',
      'prepare',
      'overlay',
      'postinstall',
      'finalize',
      'initramfs',
    ]);
    expect(names(profileWith('{type: apt}', ['iso']), 'share')).toEqual(['rootfs', 'overlay', 'initramfs']);
  });

  it('direct: the root image too, of the bootstrapped root with the layer or of the finished tree', () => {
    expect(names(profileWith('{type: apt}', ['iso', 'disk']), 'direct')).toEqual([
      'rootfs',
      'overlay',
      'image',
      'layer',
      'initramfs',
    ]);
    const wholeImage = profileWith('{type: apt}', ['disk'], 'image: {type: erofs}\ndisk: {root: image}\n');
    expect(names(wholeImage, 'direct')).toEqual(['rootfs', 'overlay', 'image', 'initramfs']);
  });

  it('publishes only the kernel and initramfs of a share build, and a busybox build is whole whatever the scope', async () => {
    const profile = profileWith('{type: apt}', ['iso', 'disk']);
    const applicable = stagesFor(profile, 'share');
    const results = new Map(
      applicable.map((stage) => [
        stage.name,
        {
          name: stage.name,
          key: stage.name,
          dir: `/state/${stage.name}`,
          cached: false,
          ms: 0,
          result: { kernel: 'k', initrd: 'i' },
        },
      ]),
    );
    expect(publicationsOf(applicable, results, profile).map((p) => p.kind)).toEqual(['kernel', 'initramfs']);
    expect(names(profileWith('{type: busybox}', ['initramfs']), 'share')).toEqual(['kernel', 'initramfs']);
  });

  it('is chosen from the media booted: any ISO or disk boot needs every output', () => {
    expect(buildScopeFor(['9p'])).toBe('share');
    expect(buildScopeFor(['virtiofs', '9p'])).toBe('share');
    expect(buildScopeFor(['9p', 'direct'])).toBe('direct');
    expect(buildScopeFor(['direct', 'cdrom'])).toBeUndefined();
    expect(buildScopeFor(['disk'])).toBeUndefined();
    expect(buildScopeFor(undefined)).toBeUndefined();
  });

  it('a share build has no root image: booting it directly is refused, over 9p it boots the tree', () => {
    const report: BuildReport = {
      profile: 'p',
      sourceDateEpoch: 0,
      only: 'share',
      outputs: [],
      stages: [],
      packages: [],
      direct: { kernel: '/k', initrd: '/i', append: 'console=ttyS0 live.root=9p live.tag=rootfs', stagingRoot: '/t' },
      totalMs: 0,
    };
    expect(() => launchOptionsFor({ firmware: 'bios', medium: 'direct' }, report, 512)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringMatching(/no root image/) }),
    );
    const share = launchOptionsFor({ firmware: 'bios', medium: '9p' }, report, 512, 2, {
      path: '/t',
      release: async () => {},
    });
    expect(share).toMatchObject({ kernel: '/k', shares: [{ path: '/t', tag: 'rootfs', type: '9p', readOnly: true }] });
    expect(share.disks).toBeUndefined();
    const virtiofs = launchOptionsFor({ firmware: 'bios', medium: 'virtiofs' }, report, 512, 2, {
      path: '/t',
      release: async () => {},
    });
    expect(virtiofs.append).toContain('live.root=virtiofs');
    expect(virtiofs.shares).toEqual([{ path: '/t', tag: 'rootfs', type: 'virtiofs', readOnly: true }]);
  });

  it('kernel boots enter the kernel through PVH (no self-decompression); firmware boots of the ISO do not', () => {
    const report: BuildReport = {
      profile: 'p',
      sourceDateEpoch: 0,
      outputs: [{ kind: 'iso', file: '/o/p.iso' } as BuildReport['outputs'][number]],
      stages: [],
      packages: [],
      direct: { kernel: '/k', initrd: '/i', append: 'console=ttyS0', rootImage: '/r.squashfs', stagingRoot: '/t' },
      totalMs: 0,
    };
    const share = { path: '/t', release: async () => {} };
    expect(launchOptionsFor({ firmware: 'bios', medium: 'direct' }, report, 512)).toMatchObject({
      kernel: '/k',
      pvh: true,
    });
    expect(launchOptionsFor({ firmware: 'uefi', medium: '9p' }, report, 512, 2, share)).toMatchObject({ pvh: true });
    const cdrom = launchOptionsFor({ firmware: 'bios', medium: 'cdrom' }, report, 512);
    expect(cdrom).toMatchObject({ iso: '/o/p.iso' });
    expect(cdrom.pvh).toBeUndefined();
  });
});

describe('the root README\'s "How a build flows"', () => {
  it('lists exactly the stages of the table, each with a file that exists', async () => {
    const { readFile } = await import('node:fs/promises');
    const { existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const repo = join(import.meta.dirname, '..', '..', '..');
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## How a build flows'),
      readme.indexOf('\n## ', readme.indexOf('## How a build flows') + 3),
    );
    const rows = [...section.matchAll(/^\| `([a-z-]+)` \|([^|]*)\|[^|]*\|[^|]*\| \[`[^`]+`\]\(([^)]+)\) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual([...new Set(buildStages.map((s) => s.name))].sort());
    for (const [, name, needs, file] of rows) {
      expect(existsSync(join(repo, file as string)), `${name}: ${file}`).toBe(true);
      // Every stage a row says it needs is a stage of the table.
      for (const need of (needs as string)
        .split(/,| or |\(|\)|:/)
        .map((n) => n.trim())
        .filter((n) => /^[a-z-]+$/.test(n) && n !== 'busybox')) {
        expect(
          buildStages.map((s) => s.name),
          `${name} needs ${need}`,
        ).toContain(need);
      }
    }
  });
});
