import type { ReportBuild } from './report-build.js';
import { esc, formatDuration, formatCount, num } from './html.js';

const WIDTH = 1000;
const LABEL = 150;
const ROW = 26;
const AXIS = 28;

/**
 * The build's stages on one time axis (a Gantt chart): each bar starts when its stage started and
 * is as long as it took, so stages that ran side by side overlap; cached stages are pale. Below it,
 * the same numbers as a table (exact milliseconds, as build-report.json has them).
 */
export function renderStageTimeline(report: ReportBuild): string {
  if (report.stages.length === 0) return '<p class="empty">This build ran no stages (an image given as is).</p>';
  // A build report from before stages had start times: drawn one after another, and said so.
  const untimed = report.stages.some((s) => s.startMs === undefined);
  let at = 0;
  const stages = untimed
    ? report.stages.map((s) => {
        const placed = { ...s, startMs: at };
        at += s.ms;
        return placed;
      })
    : report.stages.map((s) => ({ ...s, startMs: s.startMs ?? 0 }));
  const end = Math.max(report.totalMs, ...stages.map((s) => s.startMs + s.ms), 1);
  const plot = WIDTH - LABEL - 90;
  const x = (ms: number) => LABEL + (ms / end) * plot;
  const height = AXIS + stages.length * ROW + 6;
  const ticks = axisTicks(end)
    .map(
      (t) =>
        `<line class="tick" x1="${num(x(t))}" x2="${num(x(t))}" y1="${AXIS - 6}" y2="${height}"/><text class="axis" x="${num(x(t))}" y="${AXIS - 10}" text-anchor="middle">${esc(formatDuration(t))}</text>`,
    )
    .join('');
  const bars = stages
    .map((s, i) => {
      const y = AXIS + i * ROW;
      const start = s.startMs;
      const w = Math.max(2, (s.ms / end) * plot);
      const state = s.cached ? 'cached' : 'built';
      return `<g class="stage ${state}" data-stage="${esc(s.name)}" data-ms="${s.ms}" data-start-ms="${start}"><title>${esc(s.name)}: ${state}, started at ${esc(formatDuration(start))}, took ${esc(formatDuration(s.ms))}</title><text class="label" x="${LABEL - 8}" y="${y + 17}" text-anchor="end">${esc(s.name)}</text><rect x="${num(x(start))}" y="${y + 4}" width="${num(w)}" height="${ROW - 8}" rx="3"/><text class="value" x="${num(x(start) + w + 6)}" y="${y + 17}">${esc(s.cached ? `cached ${formatDuration(s.ms)}` : formatDuration(s.ms))}</text></g>`;
    })
    .join('');
  const svg = `<svg class="gantt" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="stage timeline">${ticks}${bars}</svg>`;
  const rows = stages
    .map(
      (s) =>
        `<tr data-stage="${esc(s.name)}"><td>${esc(s.name)}</td><td>${s.cached ? 'cached' : 'built'}</td><td class="n">${formatCount(s.startMs)}</td><td class="n stage-ms">${formatCount(s.ms)}</td><td class="mono">${esc(s.key)}</td></tr>`,
    )
    .join('');
  const built = stages.filter((s) => !s.cached).length;
  const note = untimed
    ? '<p class="note">This build report has no start times (an older distroforge): the stages are drawn one after another.</p>'
    : '';
  return `${note}<p>${stages.length} stages, ${built} built and ${stages.length - built} from the cache, in <b id="total-ms" data-ms="${report.totalMs}">${esc(formatDuration(report.totalMs))}</b>. <span class="legend"><i class="sw built"></i>built <i class="sw cached"></i>cached</span></p>${svg}<table class="data stages"><thead><tr><th>stage</th><th>cache</th><th>start (ms)</th><th>duration (ms)</th><th>key</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Round tick positions (1, 2 or 5 times a power of ten, in ms) giving about six ticks. */
export function axisTicks(end: number): number[] {
  const raw = end / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
  const ticks: number[] = [];
  for (let t = 0; t <= end; t += step) ticks.push(t);
  return ticks;
}
