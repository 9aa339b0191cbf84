import { describe, expect, it } from 'vitest';
import { crc32cUpdate } from '../src/crc32c.js';

describe('crc32cUpdate', () => {
  it('gives the CRC-32C check value of "123456789" (0xE3069283) once inverted at both ends', () => {
    expect((~crc32cUpdate(0xffffffff, Buffer.from('123456789')) >>> 0).toString(16)).toBe('e3069283');
  });

  it('continues a running value as one call over the whole input would', () => {
    const data = Buffer.from('ext4 metadata checksum over several pieces');
    expect(crc32cUpdate(crc32cUpdate(0x12345678, data.subarray(0, 7)), data.subarray(7))).toBe(
      crc32cUpdate(0x12345678, data),
    );
  });
});
