// distroforge report [PROFILE|IMAGE]: the page of a profile's last build from what is on disk (the
// build report, the inventory kept in the state, the test record of exactly those outputs), of the
// build an output file came from, or of an image file as is; nothing built is ERR_REPORT_NO_BUILD.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY_FILE } from '../src/inventory/built-inventory.js';
import { fixtureBuild, fixtureInventory, fixtureTest } from './report-fixture.js';
import { runDistroforge } from './run-distroforge.js';

let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-report-command-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A profile folder whose out/ and state look as a build of the fixture left them. */
async function builtProfile(name: string): Promise<{ profile: string; out: string; html: string }> {
  const profile = join(work, name);
  const out = join(profile, 'out');
  const build = fixtureBuild();
  build.stages.push({ name: 'inventory', key: 'inv-key', cached: false, startMs: 70_000, ms: 1_000 });
  build.outputs = build.outputs.map((o) => ({ ...o, file: join(out, o.file.split('/').at(-1) as string) }));
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'build-report.json'), JSON.stringify(build));
  for (const o of build.outputs) await writeFile(o.file, 'image');
  const kept = join(profile, '.distroforge', 'stages', 'inventory', 'inv-key', INVENTORY_FILE);
  await mkdir(dirname(kept), { recursive: true });
  await writeFile(kept, JSON.stringify(fixtureInventory()));
  return { profile, out, html: join(out, 'fixture-live.report.html') };
}

describe('distroforge report', () => {
  it("writes a profile's page from its build report and the inventory kept in its state", async () => {
    const { profile, html } = await builtProfile('kept');
    const run = await runDistroforge(['report', profile, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ type: 'result', file: html, from: 'build' });
    const page = await readFile(html, 'utf8');
    expect(page).toContain(`<b id="total-bytes" data-bytes="${fixtureInventory().totalBytes}">`);
    expect(page).toContain('data-stage="inventory" data-ms="1000" data-start-ms="70000"');
    expect(page).toContain('No boot test recorded');
  });

  it('draws the test record only while it tested exactly the outputs in out/ (same digests)', async () => {
    const { profile, out, html } = await builtProfile('tested');
    const record = fixtureTest();
    await writeFile(join(out, 'fixture-live.test-report.json'), JSON.stringify(record));
    expect((await runDistroforge(['report', profile])).exitCode).toBe(0);
    expect(await readFile(html, 'utf8')).toContain('<g class="boot failed" data-boot="uefi/cdrom">');
    // A rebuild changed an output: the old boots are not this build's.
    const stale = {
      ...record,
      outputs: record.outputs.map((o, i) => (i === 0 ? { ...o, sha256: 'f'.repeat(64) } : o)),
    };
    await writeFile(join(out, 'fixture-live.test-report.json'), JSON.stringify(stale));
    expect((await runDistroforge(['report', profile])).exitCode).toBe(0);
    const page = await readFile(html, 'utf8');
    expect(page).not.toContain('data-boot="uefi/cdrom"');
    expect(page).toContain('No boot test recorded');
  });

  it("given an output of a build, writes that build's page", async () => {
    const { out, html } = await builtProfile('by-output');
    const run = await runDistroforge(['report', join(out, 'fixture-live.iso')]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe(`wrote ${html} (${run.stdout.match(/\((.*)\)/)?.[1]})\n`);
    expect(await readFile(html, 'utf8')).toContain('data-stage="rootfs" data-ms="61234"');
  });

  it('given a squashfs root image as is, writes a page of its packages and sizes into --out, never over a file of the user', async () => {
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await writeFile(
      join(tree, 'var/lib/dpkg/status'),
      'Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-3\n',
    );
    await writeFile(join(tree, 'var/lib/dpkg/info/hello.list'), '/usr\n/usr/bin\n/usr/bin/hello\n');
    await writeFile(join(tree, 'usr/bin/hello'), Buffer.alloc(12_345, 1));
    const image = join(work, 'root.squashfs');
    await execa('mksquashfs', [tree, image, '-noappend', '-quiet', '-no-progress']);
    const into = join(work, 'reports');
    const run = await runDistroforge(['report', image, '--out', into, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ file: join(into, 'root.report.html'), from: 'image' });
    const page = await readFile(join(into, 'root.report.html'), 'utf8');
    expect(page).toContain('<tr data-package="hello"><td>hello</td><td class="mono">2.10-3</td><td>amd64</td>');
    expect(page).toContain('This build ran no stages');
    // Written again over its own report, but not over the user's file.
    expect((await runDistroforge(['report', image, '--out', into])).exitCode).toBe(0);
    await writeFile(join(into, 'root.report.html'), 'my notes');
    const refused = await runDistroforge(['report', image, '--out', into]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('ERR_OUTPUT_EXISTS');
    expect(await readFile(join(into, 'root.report.html'), 'utf8')).toBe('my notes');
  });

  it('refuses a profile never built (ERR_REPORT_NO_BUILD, exit 2) and a path that does not exist (ERR_USAGE)', async () => {
    const empty = join(work, 'never-built');
    await mkdir(empty);
    const run = await runDistroforge(['report', empty]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`ERR_REPORT_NO_BUILD: ${join(empty, 'out')} has no build-report.json`);
    const missing = await runDistroforge(['report', join(work, 'nowhere')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('ERR_USAGE');
  });
});
