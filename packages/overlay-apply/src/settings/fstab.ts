import type { RootWriter } from '../root-writer.js';

export interface FstabEntry {
  spec: string;
  file: string;
  vfstype: string;
  options: string;
  freq: number;
  passno: number;
}

/** Adds or replaces (by mount point) lines of /etc/fstab; other lines stay as they are. */
export async function applyFstab(writer: RootWriter, entries: readonly FstabEntry[]): Promise<void> {
  const text = (await writer.readText('/etc/fstab')) ?? '';
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  for (const entry of entries) {
    const line = [entry.spec, entry.file, entry.vfstype, entry.options, entry.freq, entry.passno].join('\t');
    const index = lines.findIndex((l) => !l.trimStart().startsWith('#') && l.trim().split(/\s+/)[1] === entry.file);
    if (index >= 0) lines[index] = line;
    else lines.push(line);
  }
  await writer.writeFile('/etc/fstab', `${lines.join('\n')}\n`);
}
