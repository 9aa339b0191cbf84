// The HTML build report opened in a real browser (Debian's chromium driven by playwright-core): a
// real build of examples/arch-live (against the generated pacman repository: rootfs, inventory,
// rootfs-tar) publishes out/arch-live.report.html; the page renders with no console error and
// loads nothing, its numbers are the build report's and the inventory's, its treemaps add up to the
// inventory's total, its filter works, and a screenshot of each section is kept in
// test-artifacts/report/. A boot that never gets ready (`distroforge test` with a ready text the
// console never prints) shows in red with its last console lines; hostile package names and
// console lines stay text.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../packages/cli/src/report/render-report.js';
import {
  fixtureBuild,
  fixtureInventory,
  fixtureTest,
  HOSTILE_NAME,
  HOSTILE_PATH,
} from '../packages/cli/test/report-fixture.js';
import { generatePacmanTestRepo } from '../tools/pacman-test-repo/generate.mjs';
import { copyExample, distroforge, repo, type TestResult } from './distroforge-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = join(repo, 'test-artifacts', 'report');

interface Built {
  profile: string;
  sourceDateEpoch: number;
  outputs: { kind: string; file: string; sha256: string }[];
  stages: { name: string; key: string; cached: boolean; startMs: number; ms: number }[];
  packages: { name: string }[];
}
interface Inventory {
  packages: { name: string; installedBytes: number }[];
  unowned: { bytes: number }[];
  totalBytes: number;
}

let work = '';
let profile = '';
let out = '';
let state = '';
let browser: Browser;
let build: Built;
let inventory: Inventory;

beforeAll(async () => {
  const mirror = (await generatePacmanTestRepo(join(repo, '.cache', 'pacman-test-repo', 'repo'))).dir;
  ({ work, profile } = await copyExample('arch-live'));
  const file = join(profile, 'profile.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text
      .replace(/^ {2}mirror: .*$/m, `  mirror: file://${mirror}/$repo`)
      .replace(/^ {2}sigLevel: required$/m, '  sigLevel: off')
      .replace(/^outputs: .*$/m, 'outputs: [rootfs-tar]'),
  );
  out = join(work, 'out');
  state = join(work, 'state');
  build = await distroforge<Built>(['build', profile, '--out', out, '--state', state]);
  const key = build.stages.find((s) => s.name === 'inventory')?.key;
  inventory = JSON.parse(await readFile(join(state, 'stages', 'inventory', key as string, 'inventory.json'), 'utf8'));
  await rm(artifacts, { recursive: true, force: true });
  await mkdir(artifacts, { recursive: true });
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (tools/setup.d/cli-report.debs; tools/setup does it)`,
    );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});
afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Opens a report file, noting console errors, uncaught exceptions, dialogs and every request. */
async function open(file: string): Promise<{ page: Page; problems: string[]; requests: string[]; ms: number }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  const started = performance.now();
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return { page, problems, requests, ms: performance.now() - started };
}

async function screenshots(page: Page, prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (const id of ['timeline', 'sizes', 'packages', 'boots']) {
    const path = join(artifacts, `${prefix}-${id}.png`);
    await page.locator(`#${id}`).screenshot({ path });
    files.push(path);
  }
  return files;
}

const reportFile = () => join(out, 'arch-live.report.html');

describe("a real build's report", () => {
  it('renders with no console error and requests nothing but itself; a screenshot of each section is kept', async () => {
    const { page, problems, requests, ms } = await open(reportFile());
    const bytes = (await stat(reportFile())).size;
    console.log(`report: ${reportFile()} ${bytes} bytes, loaded in ${Math.round(ms)} ms`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${reportFile()}`]);
    const files = await screenshots(page, 'arch-live');
    for (const f of files) expect((await readFile(f)).subarray(1, 4).toString()).toBe('PNG');
    console.log(`report screenshots: ${artifacts}`);
    await page.close();
  });

  it("shows each stage's start and duration as build-report.json has them", async () => {
    const { page } = await open(reportFile());
    const shown = await page.$$eval('table.stages tbody tr', (rows) =>
      rows.map((r) => ({
        name: (r as HTMLElement).dataset.stage,
        cache: r.children[1]?.textContent,
        startMs: Number(r.children[2]?.textContent?.replace(/,/g, '')),
        ms: Number(r.children[3]?.textContent?.replace(/,/g, '')),
      })),
    );
    expect(shown).toEqual(
      build.stages.map((s) => ({ name: s.name, cache: s.cached ? 'cached' : 'built', startMs: s.startMs, ms: s.ms })),
    );
    const bars = await page.$$eval('svg.gantt g.stage', (gs) =>
      gs.map((g) => [(g as SVGGElement).dataset.stage, Number((g as SVGGElement).dataset.ms)]),
    );
    expect(bars).toEqual(build.stages.map((s) => [s.name, s.ms]));
    // Stages that ran after others start later on the axis (the rootfs before the inventory of its tree).
    const x = async (name: string) =>
      Number(await page.locator(`g.stage[data-stage="${name}"] rect`).getAttribute('x'));
    expect(await x('inventory')).toBeGreaterThan(await x('rootfs'));
    await page.close();
  });

  it("counts the inventory's packages and bytes, and both treemaps add up to its total", async () => {
    const { page } = await open(reportFile());
    expect(Number(await page.locator('#package-total').getAttribute('data-count'))).toBe(inventory.packages.length);
    expect(await page.locator('#package-table tbody tr').count()).toBe(inventory.packages.length);
    expect(build.packages.map((p) => p.name).sort()).toEqual(inventory.packages.map((p) => p.name).sort());
    expect(Number(await page.locator('#total-bytes').getAttribute('data-bytes'))).toBe(inventory.totalBytes);
    for (const id of ['treemap-packages', 'treemap-directories']) {
      const nodes = await page.$$eval(`#${id} > g.tm-node`, (gs) =>
        gs.map((g) => {
          const box = (g.querySelector('rect.tm-box') as SVGRectElement).getBBox();
          return { bytes: Number((g as SVGGElement).dataset.bytes), area: box.width * box.height };
        }),
      );
      expect(nodes.reduce((s, n) => s + n.bytes, 0)).toBe(inventory.totalBytes);
      // What is drawn is proportional: each rectangle's share of the map is its share of the bytes.
      const area = nodes.reduce((s, n) => s + n.area, 0);
      expect(area).toBeCloseTo(1000 * 560, -1);
      for (const n of nodes) expect(n.area / area).toBeCloseTo(n.bytes / inventory.totalBytes, 3);
    }
    // The package table's installed sizes are the inventory's.
    const sizes = await page.$$eval('#package-table tbody tr', (rows) =>
      rows.map((r) => [(r as HTMLElement).dataset.package, Number((r.children[5] as HTMLElement).dataset.sort)]),
    );
    expect(Object.fromEntries(sizes)).toEqual(
      Object.fromEntries(inventory.packages.map((p) => [p.name, p.installedBytes])),
    );
    await page.close();
  });

  it('filters the package table as one types, and a click on a package in the size map finds it', async () => {
    const { page, problems } = await open(reportFile());
    const visible = () => page.locator('#package-table tbody tr:visible').count();
    await page.fill('#package-filter', 'busybox');
    expect(await visible()).toBe(1);
    expect(await page.locator('#package-count').textContent()).toBe(`1 of ${inventory.packages.length} packages`);
    await page.fill('#package-filter', 'no-such-package');
    expect(await visible()).toBe(0);
    await page.fill('#package-filter', '');
    expect(await visible()).toBe(inventory.packages.length);
    // The biggest package's rectangle, clicked, filters the table to it.
    const biggest = [...inventory.packages].sort((a, b) => b.installedBytes - a.installedBytes)[0]?.name as string;
    // Anywhere in it: on one of its directories too.
    await page.locator(`#treemap-packages g.tm-package[data-key="${biggest}"]`).click();
    expect(await page.inputValue('#package-filter')).toBe(biggest);
    expect(await page.locator('#package-table tbody tr:visible').getAttribute('data-package')).toBe(biggest);
    // Sorting by installed size, largest first after two clicks.
    await page.locator('#package-filter').fill('');
    const installed = page.locator('#package-table th[data-column="5"]');
    await installed.click();
    await installed.click();
    expect(await page.locator('#package-table tbody tr').first().getAttribute('data-package')).toBe(biggest);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('a failed boot', () => {
  it('shows in red with its last console lines after distroforge test, beside the same build', async () => {
    // Direct boot with a ready text the console never prints: the boot times out.
    const result = await distroforge<TestResult>(
      [
        'test',
        profile,
        '--out',
        out,
        '--state',
        state,
        '--medium',
        'direct',
        '--ready',
        'no-such-ready-text-df',
        '--timeout',
        '20',
      ],
      600_000,
    );
    expect(result.ok).toBe(false);
    const record = JSON.parse(await readFile(join(out, 'arch-live.test-report.json'), 'utf8')) as {
      ok: boolean;
      boots: {
        firmware: string;
        medium: string;
        ok: boolean;
        lastLines: string[];
        stages: { stage: string; ms: number }[];
      }[];
    };
    expect(record.ok).toBe(false);
    const boot = record.boots[0];
    expect(boot?.lastLines.length).toBeGreaterThan(0);
    const { page, problems } = await open(reportFile());
    expect(problems).toEqual([]);
    const row = page.locator('svg.boots g.boot.failed[data-boot="bios/direct"]');
    expect(await row.count()).toBe(1);
    const red = await row.locator('g.seg-failed rect').evaluate((rect) => getComputedStyle(rect).fill);
    expect(red).toBe('rgb(198, 40, 40)');
    // The stages the console showed before it stopped are drawn before the red part.
    expect(await row.locator('g.segment').count()).toBe((boot?.stages.length ?? 0) + 1);
    expect(await page.locator('.failure[data-boot="bios/direct"] pre.console').textContent()).toBe(
      boot?.lastLines.join('\n'),
    );
    await screenshots(page, 'arch-live-failed-boot');
    await page.close();
  });
});

describe('hostile names', () => {
  it('stay text in the browser: no script runs, no element is injected', async () => {
    const file = join(work, 'hostile.report.html');
    await writeFile(
      file,
      renderReport({
        build: fixtureBuild(),
        inventory: fixtureInventory(),
        rootImageBytes: 300_000_000,
        test: fixtureTest(),
      }),
    );
    const { page, problems } = await open(file);
    expect(problems).toEqual([]);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main svg[onload], main script').count()).toBe(0);
    const names = await page.$$eval('#package-table tbody tr', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.package),
    );
    expect(names).toContain(HOSTILE_NAME);
    expect(await page.locator('#biggest-files').textContent()).toContain(HOSTILE_PATH);
    expect(await page.locator('.failure[data-boot="uefi/cdrom"] pre.console').textContent()).toContain(HOSTILE_NAME);
    // Filtering by the hostile name finds its row and runs nothing.
    await page.fill('#package-filter', HOSTILE_NAME);
    expect(await page.locator('#package-table tbody tr:visible').count()).toBe(1);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await screenshots(page, 'hostile');
    await page.close();
    expect(existsSync(join(artifacts, 'hostile-packages.png'))).toBe(true);
  });
});
