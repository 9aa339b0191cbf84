/** The page's style sheet (inline: the page loads nothing). Light, printable, one column. */
export const REPORT_STYLE = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5c6670; --line: #d8dde2; --built: #2f6fb3; --cached: #a9c4e2; --fail: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
header, main { max-width: 1120px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 0 0 8px; padding-top: 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
section { border-top: 1px solid var(--line); margin-top: 20px; padding-top: 8px; }
nav a { margin-right: 14px; }
.mono, code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
table.data { border-collapse: collapse; width: 100%; margin: 8px 0; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
table.data td.mono { overflow-wrap: anywhere; }
table.data th { background: #f3f5f7; font-weight: 600; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[data-order="ascending"]::after { content: " ▲"; }
table.sortable th[data-order="descending"]::after { content: " ▼"; }
td.n { text-align: right; white-space: nowrap; }
input[type=search] { width: 320px; padding: 4px 6px; font: inherit; }
.empty, .note { color: var(--muted); }
.warn, .fail, .error { color: var(--fail); }
.pass { color: #2e7d32; }
.legend { color: var(--muted); margin-left: 8px; }
.sw { display: inline-block; width: 11px; height: 11px; margin: 0 4px 0 10px; vertical-align: -1px; border-radius: 2px; }
svg text { font-size: 12px; fill: var(--fg); }
svg .axis { fill: var(--muted); font-size: 11px; }
svg .tick { stroke: #eef0f2; }
.stage.built rect, .sw.built { fill: var(--built); background: var(--built); }
.stage.cached rect, .sw.cached { fill: var(--cached); background: var(--cached); }
.treemap { border: 1px solid var(--line); }
.treemap rect { stroke: #fff; stroke-width: 1; }
.treemap .tm-node:hover > .tm-box { stroke: #333; }
.treemap .tm-package { cursor: pointer; }
.treemap .tm-label { font-size: 11px; font-weight: 600; pointer-events: none; }
.treemap .tm-sub { font-size: 10px; fill: #333; pointer-events: none; }
.seg-firmware rect, .sw.seg-firmware { fill: #8d6e63; background: #8d6e63; }
.seg-bootloader rect, .sw.seg-bootloader { fill: #ffa726; background: #ffa726; }
.seg-kernel rect, .sw.seg-kernel { fill: #42a5f5; background: #42a5f5; }
.seg-initramfs rect, .sw.seg-initramfs { fill: #26a69a; background: #26a69a; }
.seg-system rect, .sw.seg-system { fill: #7e57c2; background: #7e57c2; }
.seg-checks rect, .sw.seg-checks { fill: #9ccc65; background: #9ccc65; }
.seg-failed rect, .sw.seg-failed { fill: var(--fail); background: var(--fail); }
.seg-label { fill: #fff; font-size: 11px; pointer-events: none; }
.boot.failed .label, .boot.failed .value { fill: var(--fail); font-weight: 600; }
tr.failed td { color: var(--fail); }
.failure { border: 2px solid var(--fail); border-radius: 4px; padding: 4px 12px; margin: 12px 0; background: #fff5f5; }
.failure h4 { color: var(--fail); margin: 6px 0; }
pre.output { margin: 0; white-space: pre-wrap; }
pre.console { background: #1e1e1e; color: #eee; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
@media print { nav, input { display: none; } section { break-inside: avoid-page; } }
`;
