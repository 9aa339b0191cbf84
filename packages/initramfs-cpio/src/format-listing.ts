import type { CpioListEntry } from './read-cpio.js';

const typeChar: Record<CpioListEntry['type'], string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  char: 'c',
  block: 'b',
  fifo: 'p',
  socket: 's',
};

/** `-rwsr-xr-x` from a type and permission bits, as `ls -l` and `cpio -itv` print them. */
export function modeString(type: CpioListEntry['type'], mode: number): string {
  const bit = (mask: number, ch: string) => (mode & mask ? ch : '-');
  const special = (exec: boolean, flag: boolean, on: string) =>
    flag ? (exec ? on : on.toUpperCase()) : exec ? 'x' : '-';
  return (
    typeChar[type] +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special(Boolean(mode & 0o100), Boolean(mode & 0o4000), 's') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special(Boolean(mode & 0o010), Boolean(mode & 0o2000), 's') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special(Boolean(mode & 0o001), Boolean(mode & 0o1000), 't')
  );
}

/** One line per member: mode, links, owner, size (or device numbers), UTC mtime, name, symlink target. */
export function formatListing(entry: CpioListEntry): string {
  const size =
    entry.type === 'char' || entry.type === 'block' ? `${entry.rdevMajor},${entry.rdevMinor}` : String(entry.size);
  const when = new Date(entry.mtime * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
  return `${modeString(entry.type, entry.mode)} ${String(entry.nlink).padStart(3)} ${String(entry.uid).padStart(5)} ${String(entry.gid).padStart(5)} ${size.padStart(10)} ${when} ${entry.name}${entry.target === undefined ? '' : ` -> ${entry.target}`}`;
}
