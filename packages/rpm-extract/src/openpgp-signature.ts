import type { RpmSignature } from './types.js';

const publicKeyAlgorithms: Record<number, string> = {
  1: 'RSA',
  2: 'RSA',
  3: 'RSA',
  16: 'ElGamal',
  17: 'DSA',
  18: 'ECDH',
  19: 'ECDSA',
  22: 'EdDSA',
  25: 'X25519',
  26: 'X448',
  27: 'Ed25519',
  28: 'Ed448',
  30: 'ML-DSA-65+Ed25519',
  31: 'ML-DSA-87+Ed448',
};
const hashNames: Record<number, string> = {
  1: 'MD5',
  2: 'SHA1',
  3: 'RIPEMD160',
  8: 'SHA256',
  9: 'SHA384',
  10: 'SHA512',
  11: 'SHA224',
  12: 'SHA3-256',
  14: 'SHA3-512',
};

/**
 * Describes an OpenPGP signature packet (RFC 4880 / 9580): who signed (key id, fingerprint) and
 * with which algorithms. Returns undefined when the bytes are not a signature packet we understand;
 * the signature itself is not verified.
 */
export function describeSignature(tag: RpmSignature['tag'], packet: Buffer): RpmSignature | undefined {
  const body = packetBody(packet);
  if (!body || body.length < 1) return undefined;
  const version = body[0]!;
  const result: RpmSignature = {
    tag,
    version,
    keyId: '',
    fingerprint: '',
    publicKeyAlgorithm: '',
    hashAlgorithm: '',
    created: 0,
  };
  if (version === 3 && body.length >= 19) {
    result.created = body.readUInt32BE(3);
    result.keyId = body.toString('hex', 7, 15);
    result.publicKeyAlgorithm = algorithmName(publicKeyAlgorithms, body[15]!);
    result.hashAlgorithm = algorithmName(hashNames, body[16]!);
    return result;
  }
  if ((version === 4 || version === 5 || version === 6) && body.length >= 6) {
    result.publicKeyAlgorithm = algorithmName(publicKeyAlgorithms, body[2]!);
    result.hashAlgorithm = algorithmName(hashNames, body[3]!);
    const lengthSize = version === 4 ? 2 : 4;
    let at = 4;
    for (let area = 0; area < 2 && at + lengthSize <= body.length; area++) {
      const len = lengthSize === 2 ? body.readUInt16BE(at) : body.readUInt32BE(at);
      at += lengthSize;
      const end = Math.min(at + len, body.length);
      readSubpackets(body.subarray(at, end), result, version);
      at = end;
    }
    return result;
  }
  return undefined;
}

function algorithmName(table: Record<number, string>, id: number): string {
  return table[id] ?? `algorithm-${id}`;
}

function packetBody(packet: Buffer): Buffer | undefined {
  const first = packet[0];
  if (first === undefined || (first & 0x80) === 0) return undefined;
  if (first & 0x40) {
    // New format: tag in the low 6 bits, then a 1, 2 or 5 byte length.
    if ((first & 0x3f) !== 2) return undefined;
    const l0 = packet[1];
    if (l0 === undefined) return undefined;
    if (l0 < 192) return packet.subarray(2, 2 + l0);
    if (l0 < 224) return packet.subarray(3, 3 + ((l0 - 192) << 8) + (packet[2] ?? 0) + 192);
    if (l0 === 255 && packet.length >= 6) return packet.subarray(6, 6 + packet.readUInt32BE(2));
    return undefined;
  }
  if (((first >> 2) & 0x0f) !== 2) return undefined;
  const lengthType = first & 3;
  if (lengthType === 0) return packet.subarray(2, 2 + (packet[1] ?? 0));
  if (lengthType === 1 && packet.length >= 3) return packet.subarray(3, 3 + packet.readUInt16BE(1));
  if (lengthType === 2 && packet.length >= 5) return packet.subarray(5, 5 + packet.readUInt32BE(1));
  return packet.subarray(1);
}

function readSubpackets(area: Buffer, result: RpmSignature, version: number): void {
  let at = 0;
  while (at < area.length) {
    const l0 = area[at]!;
    let len: number;
    if (l0 < 192) {
      len = l0;
      at += 1;
    } else if (l0 < 255) {
      len = ((l0 - 192) << 8) + (area[at + 1] ?? 0) + 192;
      at += 2;
    } else {
      if (at + 5 > area.length) return;
      len = area.readUInt32BE(at + 1);
      at += 5;
    }
    if (len < 1 || at + len > area.length) return;
    const type = area[at]! & 0x7f;
    const data = area.subarray(at + 1, at + len);
    if (type === 2 && data.length >= 4) result.created = data.readUInt32BE(0);
    if (type === 16 && data.length >= 8) result.keyId = data.toString('hex', 0, 8);
    if (type === 33 && data.length >= 2) {
      result.fingerprint = data.toString('hex', 1);
      // v4 key ids are the fingerprint's last 8 bytes, v6 ones its first 8.
      if (!result.keyId)
        result.keyId = data[0] === 4 ? data.toString('hex', data.length - 8) : data.toString('hex', 1, 9);
    }
    at += len;
  }
  void version;
}
