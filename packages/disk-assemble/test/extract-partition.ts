import { open, writeFile } from 'node:fs/promises';

/** Copies `size` bytes at `start` of a disk image (a partition) into the file `to`, for the tools that read a filesystem image. */
export async function extract(image: string, start: number, size: number, to: string): Promise<string> {
  const buffer = Buffer.alloc(size);
  const handle = await open(image, 'r');
  await handle.read(buffer, 0, size, start).finally(() => handle.close());
  await writeFile(to, buffer);
  return to;
}
