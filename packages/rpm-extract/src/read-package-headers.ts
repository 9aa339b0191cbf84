import type { ByteReader } from './byte-reader.js';
import { rpmError } from './errors.js';
import { HeaderTags, readHeaderBlob, type HeaderBlob } from './parse-header.js';

/** The 96-byte lead every RPM starts with (mostly legacy; the headers are authoritative). */
export interface RpmLead {
  /** Format major version: 3 or 4. */
  major: number;
  minor: number;
  type: 'binary' | 'source';
  /** The name-version-release the lead records (truncated to 65 bytes by rpm). */
  name: string;
}

export interface PackageHeaders {
  lead: RpmLead;
  signature: HeaderBlob;
  header: HeaderBlob;
  sigTags: HeaderTags;
  tags: HeaderTags;
}

const leadMagic = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
const headerSignatureType = 5;

/** Reads lead, signature header (with its padding) and main header; the reader is left at the payload. */
export async function readPackageHeaders(reader: ByteReader): Promise<PackageHeaders> {
  const leadBytes = await reader.read(96, 'lead');
  if (!leadBytes.subarray(0, 4).equals(leadMagic)) {
    throw rpmError(
      'ERR_RPM_BAD_MAGIC',
      `not an RPM package: lead magic is ${leadBytes.subarray(0, 4).toString('hex')}, expected edabeedb`,
      {
        value: leadBytes.subarray(0, 4).toString('hex'),
      },
    );
  }
  const major = leadBytes[4]!;
  if (major !== 3 && major !== 4)
    throw rpmError('ERR_RPM_BAD_HEADER', `unsupported RPM format version ${major}`, {
      value: major,
      hint: 'RPM v3 and v4 packages are supported',
    });
  const sigType = leadBytes.readUInt16BE(78);
  if (sigType !== headerSignatureType) {
    throw rpmError(
      'ERR_RPM_BAD_HEADER',
      `unsupported signature type ${sigType} in the lead (only header-style signatures exist since rpm 3)`,
      { value: sigType },
    );
  }
  const nameEnd = leadBytes.indexOf(0, 10);
  const lead: RpmLead = {
    major,
    minor: leadBytes[5]!,
    type: leadBytes.readUInt16BE(6) === 1 ? 'source' : 'binary',
    name: leadBytes.toString('utf8', 10, nameEnd < 0 || nameEnd > 76 ? 76 : nameEnd),
  };
  const signature = await readHeaderBlob(reader, 'signature header');
  const padding = (8 - (signature.raw.length % 8)) % 8;
  if (padding) await reader.skip(padding, 'signature header padding');
  const header = await readHeaderBlob(reader, 'header');
  return {
    lead,
    signature,
    header,
    sigTags: new HeaderTags(signature.entries, 'signature header'),
    tags: new HeaderTags(header.entries, 'header'),
  };
}
