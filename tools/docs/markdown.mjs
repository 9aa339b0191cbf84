// Small Markdown helpers for the docs tests: fenced blocks, links and GitHub's heading anchors.

/** Fenced code blocks: { lang, info, body, line } (line: 1-based line of the opening fence). */
export function fencedBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const info = open[2].trim();
    const body = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j].startsWith(fence) && lines[j].slice(fence.length).trim() === ''))
      body.push(lines[j++]);
    blocks.push({ lang: info.split(/\s+/)[0] ?? '', info, body: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The text outside fenced blocks and inline code, so links inside code are not links. */
function prose(text, { keepInlineCode = false } = {}) {
  const out = [];
  let inFence = null;
  for (const line of text.split('\n')) {
    const fence = /^(`{3,})/.exec(line);
    if (inFence) {
      if (fence && line.startsWith(inFence) && line.slice(inFence.length).trim() === '') inFence = null;
      out.push('');
      continue;
    }
    if (fence) {
      inFence = fence[1];
      out.push('');
      continue;
    }
    out.push(keepInlineCode ? line : line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length)));
  }
  return out;
}

/** Every inline link and image target: { target, line }. */
export function links(text) {
  const found = [];
  prose(text).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g))
      found.push({ target: m[1], line: i + 1 });
  });
  return found;
}

/** GitHub's anchor for a heading's text. */
export function slug(heading) {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (duplicates numbered as GitHub numbers them). */
export function anchors(text) {
  const seen = new Map();
  const result = new Set();
  for (const line of prose(text, { keepInlineCode: true })) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}
