import { X509Certificate } from 'node:crypto';
import { parseSbatCsv, type SbatEntry } from './sbat.js';

/** One section of a PE image, as its section table records it. */
export interface PeSection {
  name: string;
  virtualSize: number;
  rawSize: number;
  rawOffset: number;
}

/** Where a PE image's certificate table (data directory 4) lies; `size` 0 when it carries none. */
export interface PeHeaders {
  /** `x86_64`, `i386`, `aarch64`, `riscv64` or the machine number in hex. */
  machine: string;
  sections: PeSection[];
  certificateTable: { offset: number; size: number };
}

/** What a person asks of an EFI binary: is it signed, by whom, and which SBAT generations it declares. */
export interface PeImageInfo extends PeHeaders {
  /** An Authenticode signature is present (not verified: the firmware does that). */
  signed: boolean;
  /** The subject common names of the signers (each SignerInfo's certificate), when present in the signature. */
  signers: string[];
  /** The `.sbat` section's records, empty when the image has none. */
  sbat: SbatEntry[];
}

const machines: Record<number, string> = { 0x8664: 'x86_64', 0x14c: 'i386', 0xaa64: 'aarch64', 0x5064: 'riscv64' };

/**
 * Parses the PE headers at the start of `head` (the first 4 KiB are enough for any real image);
 * undefined when it is not a PE image.
 */
export function parsePeHeaders(head: Buffer): PeHeaders | undefined {
  if (head.length < 0x40 || head.toString('latin1', 0, 2) !== 'MZ') return undefined;
  const pe = head.readUInt32LE(0x3c);
  if (pe + 24 > head.length || head.toString('latin1', pe, pe + 4) !== 'PE\0\0') return undefined;
  const machine = head.readUInt16LE(pe + 4);
  const sectionCount = head.readUInt16LE(pe + 6);
  const optionalSize = head.readUInt16LE(pe + 20);
  const optional = pe + 24;
  let certificateTable = { offset: 0, size: 0 };
  if (optional + 2 <= head.length) {
    const directories = optional + (head.readUInt16LE(optional) === 0x20b ? 112 : 96);
    const securityEntry = directories + 4 * 8;
    if (securityEntry + 8 <= head.length && head.readUInt32LE(directories - 4) > 4)
      certificateTable = { offset: head.readUInt32LE(securityEntry), size: head.readUInt32LE(securityEntry + 4) };
  }
  const sections: PeSection[] = [];
  for (let i = 0, at = optional + optionalSize; i < sectionCount && at + 40 <= head.length; i++, at += 40) {
    sections.push({
      name: head.toString('latin1', at, at + 8).replace(/\0+$/, ''),
      virtualSize: head.readUInt32LE(at + 8),
      rawSize: head.readUInt32LE(at + 16),
      rawOffset: head.readUInt32LE(at + 20),
    });
  }
  return { machine: machines[machine] ?? `0x${machine.toString(16)}`, sections, certificateTable };
}

/**
 * Reads a whole PE image in memory: its headers, whether it carries an Authenticode signature and
 * whose, and its `.sbat` records; undefined when `image` is not a PE image.
 */
export function readPeImage(image: Buffer): PeImageInfo | undefined {
  const headers = parsePeHeaders(image.subarray(0, 4096));
  if (!headers) return undefined;
  const sbatSection = headers.sections.find((s) => s.name === '.sbat');
  // The section's data, without the file alignment padding past its virtual size.
  const sbat = sbatSection
    ? parseSbatCsv(
        image.toString(
          'latin1',
          sbatSection.rawOffset,
          sbatSection.rawOffset + Math.min(sbatSection.rawSize, sbatSection.virtualSize || sbatSection.rawSize),
        ),
      )
    : [];
  const { offset, size } = headers.certificateTable;
  const signed = size > 0;
  return {
    ...headers,
    signed,
    signers: signed ? authenticodeSigners(image.subarray(offset, offset + size)) : [],
    sbat,
  };
}

/**
 * The signers' subject CNs of a certificate table: WIN_CERTIFICATE records (u32 length, u16
 * revision, u16 type 2 = PKCS#7 SignedData, 8-byte aligned). Best effort: an unparsable
 * signature still counts as a signature, with no name.
 */
function authenticodeSigners(table: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 8 <= table.length; ) {
    const length = table.readUInt32LE(at);
    if (length < 8) break;
    if (table.readUInt16LE(at + 6) === 2) {
      try {
        names.push(...signedDataSigners(table.subarray(at + 8, at + length)));
      } catch {
        // A malformed signature: present, signer unknown.
      }
    }
    at += (length + 7) & ~7;
  }
  return names;
}

interface Der {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  content: Buffer;
}

/** Splits DER content into its elements (definite lengths only, as DER requires). */
function derChildren(content: Buffer): Der[] {
  const out: Der[] = [];
  for (let at = 0; at < content.length; ) {
    const tag = content[at] as number;
    let length = content[at + 1] as number;
    let header = 2;
    if (length & 0x80) {
      const bytes = length & 0x7f;
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + (content[at + 2 + i] as number);
      header += bytes;
    }
    if (at + header + length > content.length) throw new Error('truncated DER');
    out.push({
      tag,
      raw: content.subarray(at, at + header + length),
      content: content.subarray(at + header, at + header + length),
    });
    at += header + length;
  }
  return out;
}

/** ContentInfo { OID signedData, [0] SignedData { version, digests, content, [0] certificates, ..., signerInfos } }. */
function signedDataSigners(der: Buffer): string[] {
  const contentInfo = derChildren(der)[0];
  const explicit = contentInfo && derChildren(contentInfo.content)[1];
  const signedData = explicit && derChildren(explicit.content)[0];
  if (!signedData) return [];
  const parts = derChildren(signedData.content);
  const certificates = parts
    .filter((p) => p.tag === 0xa0)
    .flatMap((p) => derChildren(p.content))
    .flatMap((c) => {
      try {
        return [new X509Certificate(c.raw)];
      } catch {
        return [];
      }
    });
  const signerInfos = parts.at(-1);
  if (signerInfos?.tag !== 0x31) return [];
  return derChildren(signerInfos.content).flatMap((info) => {
    // SignerInfo { version, sid: IssuerAndSerialNumber { issuer, serialNumber }, ... }
    const sid = derChildren(info.content)[1];
    const serial = sid && derChildren(sid.content)[1];
    if (!serial) return [];
    const hex = serial.content
      .toString('hex')
      .replace(/^(00)+(?=.)/, '')
      .toUpperCase();
    const cert = certificates.find((c) => c.serialNumber.replace(/^(00)+(?=.)/, '').toUpperCase() === hex);
    const cn = cert && /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    return cn ? [cn] : [];
  });
}
