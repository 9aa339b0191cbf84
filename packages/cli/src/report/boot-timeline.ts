import { esc, formatDuration, formatCount, num } from './html.js';
import type { RecordedBoot, TestRecord } from './test-record.js';
import { axisTicks } from './stage-timeline.js';

const WIDTH = 1000;
const LABEL = 170;
const ROW = 30;
const AXIS = 28;

/** The segments of one boot's bar: its console stages, then the checks, or what failed. */
export function bootSegments(boot: RecordedBoot): { name: string; ms: number; failed: boolean }[] {
  const segments = boot.stages.map((s) => ({ name: s.stage, ms: s.ms, failed: false }));
  const staged = segments.reduce((sum, s) => sum + s.ms, 0);
  if (boot.readyMs === undefined) {
    // Never ready: the time after the last milestone the console showed, until QEMU was stopped.
    segments.push({ name: 'failed', ms: Math.max(0, (boot.ms ?? staged) - staged), failed: true });
  } else {
    segments.push({
      name: 'checks',
      ms: boot.checksMs ?? Math.max(0, (boot.ms ?? boot.readyMs) - boot.readyMs),
      failed: !boot.ok,
    });
  }
  return segments;
}

/**
 * The boot timeline from `distroforge test`: per firmware and medium a stacked bar of firmware,
 * boot loader, kernel, initramfs, system (from the console's milestones) and the checks, on one
 * axis; failures in red, with the error, the failed checks and the last console lines.
 */
export function renderBootTimeline(record: TestRecord | undefined): string {
  if (!record || record.boots.length === 0)
    return '<p class="empty">No boot test recorded for this build: run <code>distroforge test</code> and this section shows each boot.</p>';
  const bars = record.boots.map((boot) => ({ boot, segments: bootSegments(boot) }));
  const end = Math.max(1, ...bars.map((b) => b.segments.reduce((sum, s) => sum + s.ms, 0)));
  const plot = WIDTH - LABEL - 80;
  const x = (ms: number) => LABEL + (ms / end) * plot;
  const height = AXIS + bars.length * ROW + 6;
  const ticks = axisTicks(end)
    .map(
      (t) =>
        `<line class="tick" x1="${num(x(t))}" x2="${num(x(t))}" y1="${AXIS - 6}" y2="${height}"/><text class="axis" x="${num(x(t))}" y="${AXIS - 10}" text-anchor="middle">${esc(formatDuration(t))}</text>`,
    )
    .join('');
  const rows = bars
    .map(({ boot, segments }, i) => {
      const y = AXIS + i * ROW;
      let at = 0;
      const rects = segments
        .map((s) => {
          const start = at;
          at += s.ms;
          const w = (s.ms / end) * plot;
          const cls = s.failed ? 'seg-failed' : `seg-${s.name.split('+')[0]}`;
          const label =
            w > 60 ? `<text class="seg-label" x="${num(x(start) + 4)}" y="${y + 19}">${esc(s.name)}</text>` : '';
          return `<g class="segment ${cls}" data-segment="${esc(s.name)}" data-ms="${Math.round(s.ms)}"><title>${esc(`${s.name}: ${formatDuration(s.ms)}`)}</title><rect x="${num(x(start))}" y="${y + 5}" width="${num(Math.max(s.failed ? 4 : 1, w))}" height="${ROW - 10}"/>${label}</g>`;
        })
        .join('');
      const verdict = boot.ok ? `ready ${formatDuration(boot.readyMs ?? 0)}` : 'FAILED';
      return `<g class="boot ${boot.ok ? 'ok' : 'failed'}" data-boot="${esc(`${boot.firmware}/${boot.medium}`)}"><text class="label" x="${LABEL - 8}" y="${y + 19}" text-anchor="end">${esc(`${boot.firmware}/${boot.medium}`)}</text>${rects}<text class="value" x="${num(x(at) + 6)}" y="${y + 19}">${esc(verdict)}</text></g>`;
    })
    .join('');
  const legend = ['firmware', 'bootloader', 'kernel', 'initramfs', 'system', 'checks', 'failed']
    .map((s) => `<i class="sw seg-${s}"></i>${s}`)
    .join(' ');
  const table = record.boots
    .map(
      (b) =>
        `<tr class="${b.ok ? 'ok' : 'failed'}"><td>${esc(`${b.firmware}/${b.medium}`)}</td><td>${b.ok ? 'pass' : 'FAIL'}</td><td>${esc(b.accel)}</td><td class="n">${b.readyMs === undefined ? '' : formatCount(b.readyMs)}</td><td>${esc(b.stages.map((s) => `${s.stage} ${formatCount(s.ms)}`).join(', '))}</td><td class="n">${b.checksMs === undefined ? '' : formatCount(b.checksMs)}</td><td>${b.commands.filter((c) => c.ok).length}/${b.commands.length}${b.persistence ? `, persistence ${esc(b.persistence)}` : ''}</td></tr>`,
    )
    .join('');
  const failures = record.boots
    .filter((b) => !b.ok)
    .map(renderFailure)
    .join('');
  const passed = record.boots.filter((b) => b.ok).length;
  return `<p class="${record.ok ? '' : 'warn'}">${passed} of ${record.boots.length} boots passed. <span class="legend">${legend}</span></p>
<svg class="boots" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="boot timeline">${ticks}${rows}</svg>
<table class="data"><thead><tr><th>boot</th><th>result</th><th>accel</th><th>ready (ms)</th><th>stages (ms)</th><th>checks (ms)</th><th>checks passed</th></tr></thead><tbody>${table}</tbody></table>${failures}`;
}

function renderFailure(boot: RecordedBoot): string {
  const checks = boot.commands
    .filter((c) => !c.ok)
    .map(
      (c) =>
        `<tr><td class="mono">${esc(c.run)}</td><td class="mono">${esc(c.expect)}</td><td class="n">${c.exitStatus}</td><td><pre class="output">${esc(c.output.slice(0, 2000))}</pre></td></tr>`,
    )
    .join('');
  const lines = (boot.lastLines ?? []).map((line) => esc(line)).join('\n');
  return `<div class="failure" data-boot="${esc(`${boot.firmware}/${boot.medium}`)}"><h4>${esc(`${boot.firmware}/${boot.medium}`)} failed</h4>${boot.error ? `<p class="error">${esc(boot.error)}</p>` : ''}${checks ? `<table class="data checks"><thead><tr><th>failed check</th><th>expected</th><th>exit status</th><th>output</th></tr></thead><tbody>${checks}</tbody></table>` : ''}${lines ? `<p>The last console lines:</p><pre class="console">${lines}</pre>` : ''}${boot.consoleLog ? `<p>Console log: <code>${esc(boot.consoleLog)}</code></p>` : ''}</div>`;
}
