/**
 * Compares two strings by the bytes of their UTF-8 encodings (what `LC_ALL=C sort`, tar, cpio,
 * squashfs and alpm order paths by), without encoding them: UTF-16 code-unit order equals UTF-8
 * byte order except that surrogate pairs (characters above U+FFFF) sort after U+E000..U+FFFF.
 * Every host and locale gives the same order.
 */
export function compareBytewise(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xSurrogate = x <= 0xdfff;
      if (xSurrogate !== y <= 0xdfff) return xSurrogate ? 1 : -1;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
