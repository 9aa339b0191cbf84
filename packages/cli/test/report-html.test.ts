// The HTML build report's generator: one self-contained page, the same bytes for the same input,
// numbers that add up, and names from the image that stay text (no markup gets through).
import { describe, expect, it } from 'vitest';
import { esc, formatBytes } from '../src/report/html.js';
import { renderReport } from '../src/report/render-report.js';
import { sizeModel } from '../src/report/size-model.js';
import { squarify } from '../src/report/treemap-layout.js';
import { fixtureBuild, fixtureInventory, fixtureTest, HOSTILE_NAME, HOSTILE_PATH } from './report-fixture.js';

const full = () =>
  renderReport({
    build: fixtureBuild(),
    inventory: fixtureInventory(),
    rootImageBytes: 300_000_000,
    test: fixtureTest(),
  });

/** The `data-bytes` of a treemap's top-level rectangles. */
function treemapBytes(html: string, id: string): number[] {
  const svg = html.slice(
    html.indexOf(`<svg class="treemap" id="${id}"`),
    html.indexOf('</svg>', html.indexOf(`id="${id}"`)),
  );
  return [...svg.matchAll(/<g class="tm-node [^"]*" data-key="[^"]*" data-bytes="(-?\d+)"/g)].map((m) => Number(m[1]));
}

describe('renderReport', () => {
  it('is one page that loads nothing: a CSP that forbids it, no src or external href, one inline script', () => {
    const html = full();
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(html).not.toMatch(/\s(src|href)=["'](?!#)/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script>(() => {');
  });

  it('gives the same bytes for the same input', () => {
    expect(full()).toBe(full());
  });

  it('keeps hostile package names, paths and console lines as text: no tag or attribute gets through', () => {
    const html = full();
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).not.toContain(HOSTILE_PATH);
    expect(html).not.toMatch(/<img|<svg onload|onerror="|<script>window/);
    // ... and each shows escaped, in the size map, the package table and the console lines.
    expect(html.split(esc(HOSTILE_NAME)).length - 1).toBeGreaterThanOrEqual(3);
    expect(html).toContain(esc(HOSTILE_PATH));
    expect(html).toContain(
      `<pre class="console">[   19.5] Run /init as init process\n[   20.1] live: cannot find ${esc(HOSTILE_NAME)}`,
    );
  });

  it("draws each stage at its start with its duration, and lists the build report's exact milliseconds", () => {
    const html = full();
    for (const s of fixtureBuild().stages) {
      expect(html).toContain(`data-stage="${s.name}" data-ms="${s.ms}" data-start-ms="${s.startMs}"`);
      expect(html).toMatch(
        new RegExp(`<tr data-stage="${s.name}"><td>${s.name}</td><td>${s.cached ? 'cached' : 'built'}</td>`),
      );
    }
    expect(html).toContain('<td class="n stage-ms">61,234</td>');
  });

  it('draws a build report without start times (an older one) stage after stage, and says so', () => {
    const build = fixtureBuild();
    const html = renderReport({
      build: { ...build, stages: build.stages.map(({ startMs: _, ...s }) => s) as typeof build.stages },
    });
    expect(html).toContain('has no start times');
    expect(html).toContain('data-stage="kernel" data-ms="412" data-start-ms="61234"');
    expect(renderReport({ build })).not.toContain('has no start times');
  });

  it("makes both treemaps add up to the inventory's total, folding past 120 rectangles into one", () => {
    for (const count of [40, 300]) {
      const inventory = fixtureInventory(count);
      const html = renderReport({ build: fixtureBuild(), inventory });
      for (const id of ['treemap-packages', 'treemap-directories']) {
        const bytes = treemapBytes(html, id);
        expect(bytes.length).toBeGreaterThan(1);
        expect(bytes.length).toBeLessThanOrEqual(120);
        expect(bytes.every((b) => b > 0)).toBe(true);
        expect(bytes.reduce((a, b) => a + b, 0)).toBe(inventory.totalBytes);
      }
      expect(html).toContain(`<b id="total-bytes" data-bytes="${inventory.totalBytes}">`);
      expect(html).toContain(`id="package-count" data-total="${count}"`);
    }
    expect(
      treemapBytes(renderReport({ build: fixtureBuild(), inventory: fixtureInventory(300) }), 'treemap-packages')
        .length,
    ).toBe(120);
  });

  it('splits a package deeper while one directory holds most of it (the kernel: past /usr/lib/modules)', () => {
    const kernel = sizeModel(fixtureInventory()).byPackage.find((n) => n.key === 'linux-image-6.1.0-amd64');
    expect(kernel?.children[0]).toEqual({ label: '/usr/lib/modules/6.1.0-amd64/kernel/drivers/gpu', bytes: 9_000_000 });
    const bash = sizeModel(fixtureInventory()).byPackage.find((n) => n.key === 'bash');
    expect(bash?.children.map((c) => c.label)).toEqual(['/usr/lib/x86_64-linux-gnu', '/usr/bin', '/usr/share/doc']);
  });

  it('lists the 20 biggest files, largest first, with their packages', () => {
    const model = sizeModel(fixtureInventory());
    expect(model.biggestFiles).toHaveLength(20);
    expect(model.biggestFiles[0]).toEqual({
      path: '/var/lib/apt/lists/deb.debian.org_Packages',
      bytes: 45_000_000,
      owner: undefined,
    });
    expect(model.biggestFiles[1]).toEqual({ path: HOSTILE_PATH, bytes: 20_000_000, owner: HOSTILE_NAME });
    expect(model.biggestFiles[2]?.owner).toBe('linux-image-6.1.0-amd64');
    const sizes = model.biggestFiles.map((f) => f.bytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('shows a failed boot in red with its error and last console lines, a passed one as stages and checks', () => {
    const html = full();
    expect(html).toContain('<g class="boot failed" data-boot="uefi/cdrom">');
    expect(html).toContain('<g class="boot ok" data-boot="bios/cdrom">');
    expect(html).toMatch(/<g class="segment seg-failed" data-segment="failed" data-ms="101000">/);
    expect(html).toMatch(/<g class="segment seg-checks" data-segment="checks" data-ms="4200">/);
    expect(html).toContain('<div class="failure" data-boot="uefi/cdrom"><h4>uefi/cdrom failed</h4>');
    expect(html).toContain(esc('ERR_QEMU_TIMEOUT: "login:" did not appear within 120 s'));
    expect(html).not.toContain('<div class="failure" data-boot="bios/cdrom">');
    // Ready, but a check failed: the checks segment is red, the check listed with its output.
    expect(html).toMatch(
      /<g class="boot failed" data-boot="bios\/disk">.*?<g class="segment seg-failed" data-segment="checks" data-ms="2500">/,
    );
    expect(html).toContain(
      `<tr><td class="mono">command -v curl</td><td class="mono">/usr/bin/curl</td><td class="n">1</td><td><pre class="output">&lt;b&gt;${esc(HOSTILE_NAME)}&lt;/b&gt;</pre></td></tr>`,
    );
  });

  it('says what is missing instead of empty charts: no inventory, no stages, no test', () => {
    const html = renderReport({ build: { ...fixtureBuild(), stages: [] } });
    expect(html).toContain('This build ran no stages');
    expect(html).toContain('no root image whose packages can be listed');
    expect(html).toContain('No boot test recorded');
    // The package table falls back to the build report's packages.
    expect(html).toContain('<tr data-package="bash"><td>bash</td><td class="mono">5.2.15-2+b7</td>');
  });

  it('stays a few hundred KB for a large image (2,000 packages of 30 files)', () => {
    const inventory = fixtureInventory(2000);
    for (const p of inventory.packages) {
      const more = Array.from({ length: 27 }, (_, i) => ({
        path: `/usr/share/${p.name}/data/${i}.bin`,
        bytes: 100 + i,
      }));
      p.files = [...p.files, ...more];
      p.installedBytes += more.reduce((s, f) => s + f.bytes, 0);
      inventory.totalBytes += more.reduce((s, f) => s + f.bytes, 0);
    }
    const html = renderReport({ build: fixtureBuild(), inventory, rootImageBytes: 1e9, test: fixtureTest() });
    expect(Buffer.byteLength(html)).toBeLessThan(800_000);
  });
});

describe('squarify', () => {
  it('gives areas proportional to the values inside the box, nothing overlapping', () => {
    const values = [500, 300, 120, 50, 20, 7, 2, 1];
    const box = { x: 10, y: 20, w: 300, h: 200 };
    const boxes = squarify(values, box);
    const total = values.reduce((a, b) => a + b, 0);
    for (const [i, b] of boxes.entries()) {
      expect(b.w * b.h).toBeCloseTo(((values[i] as number) / total) * 300 * 200, 6);
      expect(b.x).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(b.y).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(b.x + b.w).toBeLessThanOrEqual(310 + 1e-9);
      expect(b.y + b.h).toBeLessThanOrEqual(220 + 1e-9);
    }
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) {
        const overlap =
          Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
          Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
        expect(overlap).toBeLessThan(1e-6);
      }
  });

  it('gives empty boxes to zero values and to an empty total', () => {
    expect(squarify([0, 0], { x: 0, y: 0, w: 10, h: 10 }).every((b) => b.w * b.h === 0)).toBe(true);
    expect(squarify([5, 0], { x: 0, y: 0, w: 10, h: 10 })[1]).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });
});

describe('esc and formatBytes', () => {
  it('escapes the five characters that end text or attributes', () => {
    expect(esc(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
  it('writes binary units', () => {
    expect([0, 1023, 1024, 1536, 1048576 * 900].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '900.0 MiB',
    ]);
  });
});
