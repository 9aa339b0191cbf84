// A minimal RPM writer for tests: builds headers the way rpm lays them out (index entries, aligned
// data, an immutable region trailer) so cases rpmbuild cannot produce cheaply (64-bit sizes, odd
// values) can still be checked against rpm itself.

export type TestTag =
  | { tag: number; type: 3 | 4 | 5; value: number[] }
  | { tag: number; type: 6; value: string }
  | { tag: number; type: 8 | 9; value: string[] }
  | { tag: number; type: 7; value: Buffer };

const align: Record<number, number> = { 3: 2, 4: 4, 5: 8 };

/** Header structure (magic, index, data); with `region`, the region tag (62/63) and trailer rpm writes. */
export function buildHeader(tags: TestTag[], region?: number): Buffer {
  const sorted = [...tags].sort((a, b) => a.tag - b.tag);
  const count = sorted.length + (region ? 1 : 0);
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let size = 0;
  for (const t of sorted) {
    const pad = (align[t.type] ?? 1) - 1;
    if (pad && size % (pad + 1)) {
      const fill = pad + 1 - (size % (pad + 1));
      data.push(Buffer.alloc(fill));
      size += fill;
    }
    let bytes: Buffer;
    let n: number;
    if (t.type === 6) [bytes, n] = [Buffer.from(`${t.value}\0`), 1];
    else if (t.type === 8 || t.type === 9)
      [bytes, n] = [Buffer.from(t.value.map((s) => `${s}\0`).join('')), t.value.length];
    else if (t.type === 7) [bytes, n] = [t.value, t.value.length];
    else {
      const width = t.type === 3 ? 2 : t.type === 4 ? 4 : 8;
      const values: number[] = t.value as number[];
      const out = Buffer.alloc(width * values.length);
      values.forEach((v, i) => {
        if (width === 2) out.writeUInt16BE(v, i * 2);
        else if (width === 4) out.writeUInt32BE(v, i * 4);
        else out.writeBigUInt64BE(BigInt(v), i * 8);
      });
      bytes = out;
      n = values.length;
    }
    const entry = Buffer.alloc(16);
    entry.writeUInt32BE(t.tag, 0);
    entry.writeUInt32BE(t.type, 4);
    entry.writeInt32BE(size, 8);
    entry.writeUInt32BE(n, 12);
    index.push(entry);
    data.push(bytes);
    size += bytes.length;
  }
  if (region) {
    const trailer = Buffer.alloc(16);
    trailer.writeUInt32BE(region, 0);
    trailer.writeUInt32BE(7, 4);
    trailer.writeInt32BE(-count * 16, 8);
    trailer.writeUInt32BE(16, 12);
    const entry = Buffer.alloc(16);
    entry.writeUInt32BE(region, 0);
    entry.writeUInt32BE(7, 4);
    entry.writeInt32BE(size, 8);
    entry.writeUInt32BE(16, 12);
    index.unshift(entry);
    data.push(trailer);
    size += 16;
  }
  const intro = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  intro.writeUInt32BE(count, 8);
  intro.writeUInt32BE(size, 12);
  return Buffer.concat([intro, ...index, ...data]);
}

/** Lead + signature header (padded to 8) + header + payload. */
export function buildPackage(name: string, signature: Buffer, header: Buffer, payload: Buffer): Buffer {
  const lead = Buffer.alloc(96);
  Buffer.from([0xed, 0xab, 0xee, 0xdb, 3, 0]).copy(lead);
  lead.writeUInt16BE(0, 6);
  lead.writeUInt16BE(1, 8);
  lead.write(name.slice(0, 65), 10);
  lead.writeUInt16BE(1, 76);
  lead.writeUInt16BE(5, 78);
  const pad = Buffer.alloc((8 - (signature.length % 8)) % 8);
  return Buffer.concat([lead, signature, pad, header, payload]);
}
