import type { DiskInspection } from './inspect-disk.js';

/** The inspection as a table: one line per partition, sizes in MiB. */
export function formatInspection(inspection: DiskInspection): string {
  const lines = [
    `${inspection.path}: ${inspection.format}, ${inspection.diskSize / 1048576} MiB, GPT ${inspection.diskGuid}, backup ${inspection.backupValid ? 'valid' : 'INVALID'}, MBR boot code ${inspection.mbrBootCode}`,
  ];
  for (const p of inspection.partitions) {
    const fs = p.filesystem
      ? `${p.filesystem.type}${p.filesystem.label ? ` "${p.filesystem.label}"` : ''}${p.filesystem.uuid ? ` ${p.filesystem.uuid}` : ''}`
      : '-';
    lines.push(
      `${p.index} ${p.name.padEnd(10)} ${(p.typeName ?? p.type).padEnd(12)} start ${String(p.start / 1048576).padStart(5)} MiB size ${String(p.size / 1048576).padStart(6)} MiB ${p.guid} ${fs}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
