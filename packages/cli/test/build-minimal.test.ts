// Integration: builds examples/minimal (Debian's real kernel package, verified and unpacked; a
// busybox initramfs) with the CLI pipeline, rebuilds it from cache, and boots it in QEMU.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliError, formatBootStages, loadProfile, Reporter, type ReporterEvent } from '@distroforge/cli';
import { buildProfile, type BuildReport } from '../src/pipeline/build-profile.js';
import { bootAndCheck } from '../src/pipeline/boot-test.js';
import { checkReproducible } from '../src/pipeline/check-reproducible.js';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
let profileDir = '';
let first: BuildReport;

function reporter(): Reporter {
  return new Reporter({ quiet: true, out: new PassThrough() });
}

beforeAll(async () => {
  profileDir = join(await mkdtemp(join(tmpdir(), 'df-minimal-')), 'minimal');
  await cp(join(examples, 'minimal'), profileDir, { recursive: true });
  first = await buildProfile({ profile: profileDir, reporter: reporter() });
}, 900_000);

describe('examples/minimal', () => {
  it('produces a kernel and an initramfs with digests and a build report', async () => {
    expect(first.outputs.map((o) => o.kind)).toEqual(['kernel', 'initramfs']);
    for (const o of first.outputs) expect(await readFile(`${o.file}.sha256`, 'utf8')).toContain(o.sha256);
    const report = JSON.parse(await readFile(join(profileDir, 'out', 'build-report.json'), 'utf8')) as BuildReport;
    expect(report.outputs).toEqual(first.outputs);
    expect(first.packages[0]?.name).toMatch(/^linux-image-/);
  });

  it('rebuilds from cache with identical bytes, and re-runs only the initramfs when the overlay changes', async () => {
    const again = await buildProfile({ profile: profileDir, reporter: reporter() });
    expect(again.stages.every((s) => s.cached)).toBe(true);
    expect(again.outputs.map((o) => o.sha256)).toEqual(first.outputs.map((o) => o.sha256));
    await writeFile(join(profileDir, 'airootfs', 'etc', 'motd'), 'changed\n');
    const changed = await buildProfile({ profile: profileDir, reporter: reporter() });
    expect(changed.stages.map((s) => [s.name, s.cached])).toEqual([
      ['kernel', true],
      ['initramfs', false],
    ]);
    expect(changed.outputs[1]?.sha256).not.toBe(first.outputs[1]?.sha256);
    await writeFile(join(profileDir, 'airootfs', 'etc', 'motd'), 'Welcome to minimal, built by distroforge.\n');
  });

  it('build --check: a second build from scratch in another directory gives the same bytes', async () => {
    const checked = await checkReproducible({ profile: profileDir, reporter: reporter() });
    expect(checked.differing).toEqual([]);
    expect(checked.second.stages.every((s) => !s.cached)).toBe(true);
    expect(checked.second.outputs.map((o) => o.sha256)).toEqual(checked.first.outputs.map((o) => o.sha256));
  });

  it('build --check: outputs that differ fail with ERR_BUILD_NOT_REPRODUCIBLE, naming them and keeping the second build', async () => {
    // The overlay changes once the first build's initramfs stage has ended: the second build, from
    // scratch, makes a different initramfs from the same kernel.
    const motd = join(profileDir, 'airootfs', 'etc', 'motd');
    const original = await readFile(motd, 'utf8');
    class ChangesTheOverlayAfterTheFirstInitramfs extends Reporter {
      #changed = false;
      override emit(event: ReporterEvent): void {
        super.emit(event);
        if (!this.#changed && event.type === 'stage-end' && event.stage === 'initramfs') {
          this.#changed = true;
          writeFileSync(motd, 'changed between the two builds\n');
        }
      }
    }
    let kept = '';
    try {
      const error = await checkReproducible({
        profile: profileDir,
        reporter: new ChangesTheOverlayAfterTheFirstInitramfs({ quiet: true, out: new PassThrough() }),
      }).then(
        () => undefined,
        (e: CliError) => e,
      );
      expect(error?.code).toBe('ERR_BUILD_NOT_REPRODUCIBLE');
      const initramfs = first.outputs.find((o) => o.kind === 'initramfs')!;
      expect(error?.value).toEqual([basename(initramfs.file)]);
      kept = error?.path ?? '';
      expect(error?.message).toContain(kept);
      expect(error?.hint).toContain(`diffoscope ${initramfs.file} ${join(kept, basename(initramfs.file))}`);
      // The second build's outputs are there to compare, its state is not.
      const second = await readFile(join(kept, basename(initramfs.file)));
      expect(createHash('sha256').update(second).digest('hex')).not.toBe(initramfs.sha256);
      expect(await readdir(dirname(kept))).toEqual(['out']);
    } finally {
      await writeFile(motd, original);
      if (kept) await rm(dirname(kept), { recursive: true, force: true });
    }
  });

  it('boots to its ready marker and passes its test commands', async () => {
    const loaded = await loadProfile(profileDir);
    const report = await buildProfile({ profile: profileDir, reporter: reporter() });
    const verdict = await bootAndCheck({ firmware: 'bios', medium: 'direct' }, report, loaded.profile.test!);
    console.log(`minimal: ready in ${verdict.readyMs} ms (${verdict.accel}: ${formatBootStages(verdict.stages)})`);
    expect(verdict.error).toBeUndefined();
    // A direct kernel boot shows no boot loader, and the initramfs is the whole system.
    expect(verdict.stages.map((s) => s.stage)).toEqual(['firmware+bootloader', 'kernel', 'initramfs+system']);
    expect(verdict.stages.reduce((sum, s) => sum + s.ms, 0)).toBe(verdict.readyMs);
    expect(verdict.stages.every((s) => s.ms > 0)).toBe(true);
    expect(verdict.commands.map((c) => [c.run, c.ok])).toEqual(loaded.profile.test!.commands.map((c) => [c.run, true]));
    expect(verdict.ok).toBe(true);
  });
});
