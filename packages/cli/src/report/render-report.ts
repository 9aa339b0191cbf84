import { basename } from 'node:path';
import type { ReportBuild } from './report-build.js';
import { renderBootTimeline } from './boot-timeline.js';
import { esc, formatBytes, formatCount, formatDuration } from './html.js';
import { packageRows, renderPackageTable } from './package-table.js';
import type { ReportInventory } from './report-inventory.js';
import { REPORT_SCRIPT } from './report-script.js';
import { REPORT_STYLE } from './report-style.js';
import { renderSizeMap } from './size-map.js';
import { sizeModel } from './size-model.js';
import { renderStageTimeline } from './stage-timeline.js';
import type { TestRecord } from './test-record.js';

export interface ReportInput {
  build: ReportBuild;
  /** The root image's packages and files (none for an initramfs-only build). */
  inventory?: ReportInventory | undefined;
  /** The compressed root image's size, for each package's estimated share of it. */
  rootImageBytes?: number | undefined;
  /** Each package's share of the root image from samples of its files (compressed-shares.ts); else in proportion to installed bytes. */
  compressedBytes?: Readonly<Record<string, number>> | undefined;
  /** The last `distroforge test` of this build. */
  test?: TestRecord | undefined;
}

/**
 * The build report as one self-contained HTML page: inline style, inline SVG, one inline script,
 * and a Content-Security-Policy that lets it load nothing, so it opens the same from a CI
 * artefact, a mail attachment or a machine without network. The same input gives the same bytes.
 */
export function renderReport(input: ReportInput): string {
  const { build, inventory, test } = input;
  const title = `${build.profile}: distroforge build report`;
  const sections = [
    section('timeline', 'Stage timeline', renderStageTimeline(build)),
    section(
      'sizes',
      'Size map',
      inventory
        ? renderSizeMap(sizeModel(inventory))
        : '<p class="empty">This build has no root image whose packages can be listed (an initramfs-only build, or an image given as is).</p>',
    ),
    section(
      'packages',
      'Packages',
      renderPackageTable(
        packageRows(build, inventory, input.rootImageBytes, input.compressedBytes),
        inventory !== undefined,
      ) +
        (inventory && input.rootImageBytes !== undefined
          ? `<p class="note">Compressed (est.): the root image's ${esc(formatBytes(input.rootImageBytes))} shared out ${input.compressedBytes ? "by installed bytes times how well a sample of each package's files compresses" : 'in proportion to installed bytes'}; the image compresses blocks of many files together, so no package has an exact compressed size.</p>`
          : ''),
    ),
    section('boots', 'Boot timeline', renderBootTimeline(test)),
  ];
  const outputs = build.outputs
    .map(
      (o) =>
        `<tr><td class="mono">${esc(basename(o.file))}</td><td>${esc(o.kind)}</td><td class="n" data-bytes="${o.bytes}">${esc(formatBytes(o.bytes))}</td><td class="mono" title="${esc(o.sha256)}">${esc(o.sha256.slice(0, 16))}${o.sha256 ? '…' : ''}</td></tr>`,
    )
    .join('');
  const epoch = new Date(build.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z');
  const packageCount = inventory ? inventory.packages.length : build.packages.length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="distroforge">
<title>${esc(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header>
<h1>${esc(build.profile)}</h1>
<p>Built in <b>${esc(formatDuration(build.totalMs))}</b> · <b id="package-total" data-count="${packageCount}">${formatCount(packageCount)}</b> packages · SOURCE_DATE_EPOCH ${build.sourceDateEpoch} (${esc(epoch)})${test ? ` · test <b class="${test.ok ? 'pass' : 'fail'}">${test.ok ? 'passed' : 'FAILED'}</b>` : ''}</p>
<nav><a href="#timeline">Stage timeline</a> <a href="#sizes">Size map</a> <a href="#packages">Packages</a> <a href="#boots">Boot timeline</a></nav>
<table class="data outputs"><thead><tr><th>output</th><th>kind</th><th>size</th><th>sha256</th></tr></thead><tbody>${outputs}</tbody></table>
</header>
<main>
${sections.join('\n')}
</main>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}"><h2>${esc(heading)}</h2>\n${body}\n</section>`;
}
