import type { InventoryPackage } from '../inventory/image-inventory.js';
import { spdxLicenseExpression, type ExtractedLicense } from './license-expression.js';
import { contentUuid, epochTimestamp, splitContact } from './sbom-identity.js';
import type { SbomSubject } from './sbom-subject.js';

/** The parts of an SPDX 2.3 JSON document distroforge writes. */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: 'DESCRIBES' | 'CONTAINS'; relatedSpdxElement: string }[];
  hasExtractedLicensingInfos?: ExtractedLicense[];
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  supplier?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  sourceInfo?: string;
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  primaryPackagePurpose?: 'OPERATING_SYSTEM';
  externalRefs?: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  comment?: string;
}

export const IMAGE_SPDXID = 'SPDXRef-Image';

/**
 * The SPDX 2.3 document of an image: the image as a package (DESCRIBES), every installed package
 * it CONTAINS with its version, declared licence (NOASSERTION when none; names off the SPDX list
 * as LicenseRef- with their text), supplier, PURL and package file SHA-256. Deterministic:
 * `created` is SOURCE_DATE_EPOCH, the namespace a UUID derived from the rest of the document.
 */
export function spdxDocument(subject: SbomSubject): SpdxDocument {
  const kind = subject.inventory.format;
  const extracted = new Map<string, ExtractedLicense>();
  const used = new Set<string>([IMAGE_SPDXID]);
  const packages = subject.inventory.packages.map((pkg) => {
    const license = spdxLicenseExpression(pkg.license);
    for (const e of license.extracted) extracted.set(e.licenseId, e);
    return spdxPackage(
      pkg,
      uniqueId(`SPDXRef-Package-${kind}-${pkg.name}-${pkg.architecture}`, used),
      license.expression,
    );
  });
  const image: SpdxPackage = {
    name: subject.name,
    SPDXID: IMAGE_SPDXID,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'OPERATING_SYSTEM',
    comment: `The root image built by distroforge from the profile ${subject.name}: ${packages.length} ${kind} packages, ${subject.inventory.totalBytes} bytes in regular files.`,
  };
  const body = {
    spdxVersion: 'SPDX-2.3' as const,
    dataLicense: 'CC0-1.0' as const,
    SPDXID: 'SPDXRef-DOCUMENT' as const,
    name: `${subject.name} image`,
    creationInfo: {
      created: epochTimestamp(subject.sourceDateEpoch),
      creators: [`Tool: distroforge-${subject.toolVersion}`],
    },
    packages: [image, ...packages],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES' as const, relatedSpdxElement: IMAGE_SPDXID },
      ...packages.map((p) => ({
        spdxElementId: IMAGE_SPDXID,
        relationshipType: 'CONTAINS' as const,
        relatedSpdxElement: p.SPDXID,
      })),
    ],
    ...(extracted.size > 0
      ? { hasExtractedLicensingInfos: [...extracted.values()].sort((a, b) => (a.licenseId < b.licenseId ? -1 : 1)) }
      : {}),
  };
  const slug = subject.name.replace(/[^A-Za-z0-9._-]+/g, '-');
  const { spdxVersion, dataLicense, SPDXID, name, ...rest } = body;
  return {
    spdxVersion,
    dataLicense,
    SPDXID,
    name,
    documentNamespace: `https://spdx.org/spdxdocs/${slug}-${contentUuid(JSON.stringify(body))}`,
    ...rest,
  };
}

function spdxPackage(pkg: InventoryPackage, SPDXID: string, licenseDeclared: string): SpdxPackage {
  return {
    name: pkg.name,
    SPDXID,
    versionInfo: pkg.version,
    supplier: pkg.supplier === undefined ? 'NOASSERTION' : spdxActor(pkg.supplier, pkg.supplierType ?? 'person'),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    ...(pkg.sourcePackage !== undefined ? { sourceInfo: `built from the source package ${pkg.sourcePackage}` } : {}),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared,
    copyrightText: 'NOASSERTION',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
    ...(pkg.sha256 ? { checksums: [{ algorithm: 'SHA256' as const, checksumValue: pkg.sha256 }] } : {}),
    comment: `architecture ${pkg.architecture}; ${pkg.installedBytes} bytes installed in ${pkg.files.length} files`,
  };
}

/** "Person: Name (email)" / "Organization: Name" as SPDX writes actors. */
function spdxActor(text: string, type: 'person' | 'organization'): string {
  const { name, email } = splitContact(text);
  return `${type === 'person' ? 'Person' : 'Organization'}: ${name}${email ? ` (${email})` : ''}`;
}

/** An SPDXID (letters, digits, `.` and `-` only) not used yet: `-2`, `-3`... after a clash. */
function uniqueId(wanted: string, used: Set<string>): string {
  const base = wanted.replace(/[^A-Za-z0-9.-]+/g, '-');
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}
