import { detectCompression, readCpio, type CpioListEntry } from '@distroforge/initramfs-cpio';
import { open, stat } from 'node:fs/promises';
import { humanSize, type HumanReport } from '../inspect-render.js';
import { countsText, fileTable } from './file-table.js';
import type { Inspection } from './inspection.js';
import { octal } from './octal.js';

const MODULE = /(^|\/)lib\/modules\/([^/]+)\/.*\.ko(\.(xz|zst|gz))?$/;

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

export async function inspectCpioFile(file: string): Promise<Inspection> {
  const head = Buffer.alloc(16);
  const handle = await open(file, 'r');
  await handle.read(head, 0, head.length, 0).finally(() => handle.close());
  const { size } = await stat(file);
  const entries: CpioListEntry[] = [];
  let init: string | undefined;
  for await (const { body, ...entry } of readCpio(file)) {
    const name = entry.name.replace(/^\.?\/?/, '');
    if (name === 'init' && entry.type === 'symlink') init = `/init -> ${entry.target}`;
    if (name === 'init' && entry.type === 'file') {
      const text = (await collect(body())).subarray(0, 200).toString('latin1');
      const interpreter = text.startsWith('#!') ? text.slice(2).split('\n')[0]?.trim() : undefined;
      init = `/init (${interpreter ? `script for ${interpreter}` : 'program'}, ${humanSize(entry.size)})`;
    }
    entries.push(entry);
  }
  const modules = entries.filter((e) => MODULE.test(e.name));
  const kernels = [...new Set(modules.map((e) => MODULE.exec(e.name)?.[2] ?? ''))].sort();
  const rows = entries.map((e) => ({
    mode: e.rawMode,
    size: e.size,
    path: `/${e.name.replace(/^\.?\/?/, '')}`.replace(/^\/$/, '/'),
    note:
      e.target !== undefined
        ? `-> ${e.target}`
        : e.type === 'char' || e.type === 'block'
          ? `(${e.rdevMajor},${e.rdevMinor})`
          : undefined,
  }));
  // An initramfs may be several archives end to end (early microcode uncompressed, then the main one).
  const archives = [...new Map(entries.map((e) => [e.archive, e.compression])).values()];
  const compression = archives.length > 1 ? archives.join(' + ') : (detectCompression(head) ?? 'none');
  const human: HumanReport = {
    title: `cpio archive (initramfs), ${compression === 'none' ? 'uncompressed' : `${compression}-compressed`}, ${humanSize(size)}`,
    facts: [
      ['compression', compression],
      ['entries', `${entries.length}${archives.length > 1 ? ` in ${archives.length} concatenated archives` : ''}`],
      ['contents', countsText(rows)],
      ['init', init ?? 'no /init (the kernel falls back to the root= device)'],
      ['kernel modules', modules.length > 0 ? `${modules.length} for ${kernels.join(', ')}` : 'none'],
    ],
    sections: [],
    files: { heading: `Files (${rows.length})`, table: fileTable(rows) },
  };
  return {
    file,
    kind: 'cpio',
    summary: { entries: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0) },
    entries: entries.map(
      (e) =>
        `${octal(e.rawMode)} ${e.uid}/${e.gid} ${String(e.size).padStart(10)} ${e.name}${e.type === 'char' || e.type === 'block' ? ` (${e.rdevMajor},${e.rdevMinor})` : ''}`,
    ),
    human,
  };
}
