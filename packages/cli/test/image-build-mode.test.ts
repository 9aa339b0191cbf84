// The build mode (`--release` or not) and the root image: a profile that names no squashfs level gets
// the development preset (zstd 1) or the release one (zstd 15); the image stage keys on the level it
// used, so the two never share a cache entry, and each mode gives the same bytes every time. A
// profile's own image.level (as the examples set) is kept in both modes, with one cache key.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { writeManifest } from '@distroforge/core';
import { Reporter, StageCache, type StageRun } from '@distroforge/cli';
import type { StageResult } from '../src/engine/stage-cache.js';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { imageSettings, type BuildMode } from '../src/pipeline/image-compression.js';
import { imageStage, type ImageStageResult } from '../src/pipeline/stage-image.js';
import { parseProfile } from '../src/profile/load-profile.js';
import type { LoadedProfile } from '../src/profile/load-profile.js';

const work = mkdtempSync(join(tmpdir(), 'df-cli-image-mode-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A finished tree as the overlay stage leaves it: text that compresses differently at zstd 1 and 15.
const overlay = join(work, 'overlay');
mkdirSync(join(overlay, 'rootfs', 'usr', 'share', 'doc'), { recursive: true });
for (let i = 0; i < 40; i++) {
  const words = Array.from({ length: 4000 }, (_, j) => `word${(i * 7919 + j * j) % 1013}`).join(' ');
  writeFileSync(join(overlay, 'rootfs', 'usr', 'share', 'doc', `f${i}.txt`), `${words}\n`);
}
await writeManifest(join(overlay, 'manifest.json'), { format: 'distroforge-manifest', version: 1, entries: [] });
const overlayStage = {
  name: 'overlay',
  key: 'overlay-key',
  dir: overlay,
  cached: false,
  ms: 0,
  result: {},
} as StageResult<unknown>;

/** Runs the image stage in a fresh directory; returns its cache key, the image's digest and the squashfs level it used. */
async function imageOf(
  yaml: string,
  mode: BuildMode,
): Promise<{ key: string; sha256: string; level: number | undefined; file: string }> {
  const profile = parseProfile(`name: p\nsource: { type: apt }\noutputs: [squashfs]\n${yaml}`);
  const dir = mkdtempSync(join(work, 'stage-'));
  let key = '';
  const cache = {
    run: async (stage: StageRun<ImageStageResult>) => {
      key = StageCache.key(stage.name, stage.inputs, stage.upstream);
      const result = await stage.run(dir, key);
      return { name: stage.name, key, dir, result, cached: false, ms: 0 };
    },
  } as unknown as StageCache;
  const ctx = {
    loaded: { profile } as LoadedProfile,
    reporter: new Reporter({ quiet: true, out: new PassThrough() }),
    cache,
    epoch: 1_700_000_000,
    mode,
  } as BuildContext;
  const { result } = await imageStage(ctx, overlayStage);
  const file = join(dir, result.file);
  return {
    key,
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    level: imageSettings(profile.image, mode).level,
    file,
  };
}

describe('the root image in development and release builds', () => {
  it('a profile without image: gets zstd 1 by default and zstd 15 with --release, keyed apart, each reproducible', async () => {
    const dev = await imageOf('', 'dev');
    const release = await imageOf('', 'release');
    expect([dev.level, release.level]).toEqual([1, 15]);
    expect(dev.key).not.toBe(release.key);
    expect(dev.sha256).not.toBe(release.sha256);
    const again = async (mode: BuildMode) => {
      const { key, sha256 } = await imageOf('', mode);
      return { key, sha256 };
    };
    expect(await again('dev')).toEqual({ key: dev.key, sha256: dev.sha256 });
    expect(await again('release')).toEqual({ key: release.key, sha256: release.sha256 });
  });

  it("the release image is compressed as mksquashfs's own zstd default (what such profiles built before the modes), the dev image at level 1", async () => {
    const compressionOf = (file: string) =>
      execFileSync('unsquashfs', ['-s', file], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => /^Compression |compression-level/.test(l));
    const plain = join(work, 'plain.squashfs');
    execFileSync('mksquashfs', [
      join(overlay, 'rootfs'),
      plain,
      '-noappend',
      '-comp',
      'zstd',
      '-no-progress',
      '-quiet',
    ]);
    expect(compressionOf(plain)).toEqual(['Compression zstd']);
    expect(compressionOf((await imageOf('', 'release')).file)).toEqual(compressionOf(plain));
    expect(compressionOf((await imageOf('', 'dev')).file).join('\n')).toMatch(/compression-level 1\b/);
  });

  it("a profile's own level, another algorithm and EROFS are the same in both modes, one cache entry each", async () => {
    for (const yaml of [
      'image: { compression: zstd, level: 3 }',
      'image: { compression: xz }',
      'image: { type: erofs }',
    ]) {
      const dev = await imageOf(yaml, 'dev');
      const release = await imageOf(yaml, 'release');
      expect([release.key, release.sha256, release.level], yaml).toEqual([dev.key, dev.sha256, dev.level]);
    }
  });
});
