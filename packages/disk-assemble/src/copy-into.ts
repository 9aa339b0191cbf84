import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;
const zeros = Buffer.alloc(CHUNK);

/**
 * Copies a file into an open image at `offset` with positional writes, skipping all-zero chunks:
 * the image is a fresh sparse file, so they already read as zeros and stay unallocated.
 * Returns the bytes copied.
 */
export async function copyInto(source: string, image: FileHandle, offset: number): Promise<number> {
  const input = await open(source, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return position;
      const chunk = buffer.subarray(0, bytesRead);
      if (!chunk.equals(zeros.subarray(0, bytesRead))) await image.write(chunk, 0, bytesRead, offset + position);
      position += bytesRead;
    }
  } finally {
    await input.close();
  }
}
