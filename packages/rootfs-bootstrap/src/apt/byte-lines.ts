/**
 * Calls `onLine(buffer, start, end, position)` for every `\n`-terminated line of a byte stream (`end`
 * at the `\n`, excluded; `position`: where the line starts in the stream), as the chunks arrive:
 * only the unfinished line at a chunk's end is kept (copied) until the next chunk completes it. A
 * last line without `\n` is passed too. `onChunkEnd` runs after each chunk's lines, before the next
 * chunk is read (a caller's point to flush what it collected).
 */
export async function forEachLine(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  onLine: (buffer: Buffer, start: number, end: number, position: number) => void,
  onChunkEnd?: () => Promise<void> | void,
): Promise<void> {
  let carry: Buffer | undefined;
  /** Where the current chunk starts in the stream. */
  let offset = 0;
  for await (const raw of chunks) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    if (carry) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        offset += chunk.length;
        continue;
      }
      const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
      onLine(line, 0, line.length, offset - carry.length);
      carry = undefined;
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      onLine(chunk, start, nl, offset + start);
      start = nl + 1;
    }
    // A copy: the rest of the chunk (often a MiB) must not stay alive for a line's tail.
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
    offset += chunk.length;
    await onChunkEnd?.();
  }
  if (carry) onLine(carry, 0, carry.length, offset - carry.length);
}
