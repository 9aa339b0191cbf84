import { esc, formatBytes, formatCount, hueOf, num } from './html.js';
import type { SizeModel, SizeNode } from './size-model.js';
import { squarify, type Box } from './treemap-layout.js';

const WIDTH = 1000;
const HEIGHT = 560;
const HEADER = 15;

/**
 * The size map: the root by package (each split by directory) and by directory (each split by
 * subdirectory) as treemaps whose areas are installed bytes, then the 20 biggest files. Every
 * rectangle carries its exact byte count (`data-bytes`) and says it on hover.
 */
export function renderSizeMap(model: SizeModel): string {
  const note =
    model.overcountedBytes > 0
      ? ` <span class="warn">The packages' file lists add up to ${esc(formatBytes(model.overcountedBytes))} more: files listed by two packages, counted once in the total.</span>`
      : '';
  const files = model.biggestFiles
    .map(
      (f) =>
        `<tr><td class="mono">${esc(f.path)}</td><td>${f.owner === undefined ? '<i>no package</i>' : esc(f.owner)}</td><td class="n" data-bytes="${f.bytes}">${esc(formatBytes(f.bytes))}</td></tr>`,
    )
    .join('');
  return `<p>The root image holds <b id="total-bytes" data-bytes="${model.totalBytes}">${esc(formatBytes(model.totalBytes))}</b> (${formatCount(model.totalBytes)} bytes installed). Hover a rectangle for its size; click a package to find it in the package table.${note}</p>
<h3>By package, then directory</h3>
${renderTreemap(model.byPackage, model.totalBytes, 'treemap-packages', 'size map by package')}
<h3>By directory</h3>
${renderTreemap(model.byDirectory, model.totalBytes, 'treemap-directories', 'size map by directory')}
<h3>The ${model.biggestFiles.length} biggest files</h3>
<table class="data" id="biggest-files"><thead><tr><th>file</th><th>package</th><th>size</th></tr></thead><tbody>${files}</tbody></table>`;
}

/** A two-level treemap: each node's rectangle, with its label as a header, split among its children. */
export function renderTreemap(nodes: readonly SizeNode[], total: number, id: string, label: string): string {
  const boxes = squarify(
    nodes.map((n) => n.bytes),
    { x: 0, y: 0, w: WIDTH, h: HEIGHT },
  );
  const parts = nodes.map((node, i) => {
    const box = boxes[i] as Box;
    const hue = node.kind === 'rest' || node.kind === 'unowned' ? 0 : hueOf(node.key);
    const saturation = node.kind === 'rest' || node.kind === 'unowned' ? 0 : 45;
    const share = total > 0 ? ((node.bytes / total) * 100).toFixed(1) : '0';
    const title = `${node.label}: ${formatBytes(node.bytes)} (${formatCount(node.bytes)} bytes, ${share}% of the root)`;
    const outer = `<rect class="tm-box" x="${num(box.x)}" y="${num(box.y)}" width="${num(box.w)}" height="${num(box.h)}" fill="hsl(${hue} ${saturation}% 78%)"><title>${esc(title)}</title></rect>`;
    const showHeader = box.w > 40 && box.h > HEADER + 4;
    const header = showHeader ? clippedText(node.label, box.x + 3, box.y + 11, box.w - 6, 'tm-label') : '';
    const inner: Box = showHeader
      ? { x: box.x + 2, y: box.y + HEADER, w: box.w - 4, h: box.h - HEADER - 2 }
      : { x: box.x, y: box.y, w: 0, h: 0 };
    const childBoxes =
      node.children.length > 1 && inner.w > 8 && inner.h > 8
        ? squarify(
            node.children.map((c) => c.bytes),
            inner,
          )
        : [];
    const children = childBoxes
      .map((b, j) => {
        const child = node.children[j] as { label: string; bytes: number };
        if (b.w < 1 || b.h < 1) return '';
        const text = `${node.label} ${child.label}: ${formatBytes(child.bytes)} (${formatCount(child.bytes)} bytes)`;
        const light = 62 + (j % 3) * 6;
        const childLabel =
          b.w > 46 && b.h > 14 ? clippedText(tail(child.label), b.x + 3, b.y + 11, b.w - 6, 'tm-sub') : '';
        return `<rect class="tm-child" x="${num(b.x)}" y="${num(b.y)}" width="${num(b.w)}" height="${num(b.h)}" fill="hsl(${hue} ${saturation}% ${light}%)"><title>${esc(text)}</title></rect>${childLabel}`;
      })
      .join('');
    return `<g class="tm-node tm-${node.kind}" data-key="${esc(node.key)}" data-bytes="${node.bytes}">${outer}${children}${header}</g>`;
  });
  return `<svg class="treemap" id="${esc(id)}" data-total="${total}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(label)}">${parts.join('')}</svg>`;
}

/** A label cut to the characters that fit `width` (about 6 units each at the map's font size). */
function clippedText(text: string, x: number, y: number, width: number, cls: string): string {
  const fits = Math.floor(width / 6);
  if (fits < 3) return '';
  const shown = text.length > fits ? `${text.slice(0, fits - 1)}…` : text;
  return `<text class="${cls}" x="${num(x)}" y="${num(y)}">${esc(shown)}</text>`;
}

/** A deep directory's last two components (`…/kernel/drivers`), so a narrow rectangle shows what differs. */
function tail(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length > 3 ? `…/${parts.slice(-2).join('/')}` : path;
}
