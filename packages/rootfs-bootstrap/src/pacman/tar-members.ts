import { PacmanDatabaseFormatError } from './errors.js';
import { memoryTarSource, tarHeaders, type TarEntryType } from './tar-headers.js';

/** One regular file, directory or link of a tar archive held in memory. */
export interface TarMember {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The file's bytes (a view into the archive); empty for anything but a file. */
  data: Buffer;
}

export { TAR_LIMITS } from './tar-headers.js';

/**
 * Lists the members of an uncompressed tar archive held in memory (a sync database), with the
 * checks of `tarHeaders`: a cut or damaged archive is a `PacmanDatabaseFormatError` naming
 * `origin`, never a silent partial list.
 */
export function tarMembers(archive: Buffer, origin: string): TarMember[] {
  const fail = (what: string, offset: number): never => {
    throw new PacmanDatabaseFormatError(`${origin}: ${what} at byte ${offset}`, { path: origin, value: offset });
  };
  const members: TarMember[] = [];
  for (const header of tarHeaders(memoryTarSource(archive), fail)) {
    members.push({
      path: header.path,
      type: memberType(header.type),
      data: header.type === 'file' ? archive.subarray(header.offset, header.offset + header.size) : Buffer.alloc(0),
    });
  }
  return members;
}

function memberType(type: TarEntryType): TarMember['type'] {
  return type === 'file' || type === 'directory' || type === 'symlink' || type === 'hardlink' ? type : 'other';
}
