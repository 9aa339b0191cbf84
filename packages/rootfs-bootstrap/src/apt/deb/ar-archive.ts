import { open } from 'node:fs/promises';
import { DebFormatError } from '../../errors.js';

/** One member of an `ar` archive: its name and where its bytes are in the file. */
export interface ArMember {
  name: string;
  offset: number;
  size: number;
}

const MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;

/**
 * Lists the members of a common (System V/GNU) `ar` archive, the container of a `.deb`. Only the
 * 60-byte headers are read; the members are read later by offset.
 */
export async function readArMembers(file: string): Promise<ArMember[]> {
  const handle = await open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const magic = Buffer.alloc(8);
    await handle.read(magic, 0, 8, 0);
    if (magic.toString('latin1') !== MAGIC) throw new DebFormatError(`${file} is not an ar archive`, { path: file });
    const members: ArMember[] = [];
    const header = Buffer.alloc(HEADER_SIZE);
    let position = 8;
    while (position < fileSize) {
      const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, position);
      if (bytesRead === 0) break;
      if (bytesRead < HEADER_SIZE || header.toString('latin1', 58, 60) !== '`\n') {
        throw new DebFormatError(`${file}: truncated or corrupt ar member header at byte ${position}`, {
          path: file,
          value: position,
        });
      }
      const name = header.toString('latin1', 0, 16).trimEnd().replace(/\/$/, '');
      const size = Number.parseInt(header.toString('latin1', 48, 58).trim(), 10);
      const offset = position + HEADER_SIZE;
      if (!Number.isSafeInteger(size) || size < 0 || offset + size > fileSize) {
        throw new DebFormatError(`${file}: ar member ${JSON.stringify(name)} has a bad size`, {
          path: file,
          value: name,
        });
      }
      members.push({ name, offset, size });
      position = offset + size + (size % 2); // members are 2-byte aligned
    }
    return members;
  } finally {
    await handle.close();
  }
}
