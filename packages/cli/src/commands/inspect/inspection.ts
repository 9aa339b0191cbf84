import type { HumanReport } from '../inspect-render.js';

export type FileKind =
  | 'rpm'
  | 'deb'
  | 'cpio'
  | 'squashfs'
  | 'erofs'
  | 'iso'
  | 'disk'
  | 'pacman-package'
  | 'pacman-database';

export interface Inspection {
  file: string;
  kind: FileKind;
  summary: Record<string, unknown>;
  /** One line per member: files of an archive or image, partitions of a disk. */
  entries: string[];
  /** The same, told for a person: what `distroforge inspect` prints without `--json`. */
  human: HumanReport;
}
