// compareBytewise orders strings as their UTF-8 bytes compare (Buffer.compare of the encodings is
// the oracle), for ASCII, multi-byte characters on both sides of the surrogate range, and
// characters above U+FFFF, which UTF-16 order alone puts before U+E000..U+FFFF.
import { describe, expect, it } from 'vitest';
import { compareBytewise } from '../src/byte-order.js';

const oracle = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('compareBytewise', () => {
  const samples = ['', 'a', 'A', 'a/b', 'a-b', 'a.b', 'ab', 'é', 'z', '\u00ff', '\u07ff', '\u0800', '\ud7ff'];
  samples.push('\ue000', '\uffff', '\u{10000}', '\u{1f600}', 'usr/lib/\u{1f600}', 'usr/lib/\uffff', 'usr/lib');

  it('agrees with the UTF-8 byte order on every pair, both ways', () => {
    for (const a of samples)
      for (const b of samples) expect(Math.sign(compareBytewise(a, b)), `${a} vs ${b}`).toBe(oracle(a, b));
  });

  it('sorts a character above U+FFFF after U+FFFF, as its bytes do (UTF-16 order would not)', () => {
    expect(['\u{1f600}', '\uffff', '\ue000'].sort(compareBytewise)).toEqual(['\ue000', '\uffff', '\u{1f600}']);
    expect(['\u{1f600}', '\uffff'].sort()).toEqual(['\u{1f600}', '\uffff']);
  });
});
