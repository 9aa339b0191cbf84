import { isSpdxExpression } from './license-expression.js';
import { contentUuid, epochTimestamp, splitContact } from './sbom-identity.js';
import type { SbomSubject } from './sbom-subject.js';

/** The parts of a CycloneDX 1.5 JSON BOM distroforge writes. */
export interface CycloneDxDocument {
  bomFormat: 'CycloneDX';
  specVersion: '1.5';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: 'application'; name: string; version: string }[] };
    component: { type: 'operating-system'; 'bom-ref': string; name: string };
  };
  components: CycloneDxComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

export interface CycloneDxComponent {
  type: 'library';
  'bom-ref': string;
  supplier?: { name: string; contact?: { email: string }[] };
  name: string;
  version: string;
  hashes?: { alg: 'SHA-256'; content: string }[];
  licenses?: ({ expression: string } | { license: { name: string } })[];
  purl: string;
  properties: { name: string; value: string }[];
}

/**
 * The CycloneDX 1.5 BOM of an image: the image as `metadata.component` (an operating system) that
 * depends on each installed package, a `library` component with its version, declared licence (an
 * SPDX expression when it is one, else its name), supplier, PURL (also its bom-ref) and package
 * file SHA-256. Deterministic as the SPDX document.
 */
export function cycloneDxDocument(subject: SbomSubject): CycloneDxDocument {
  const imageRef = `image:${subject.name}`;
  // bom-refs are unique in a BOM: the PURL, with `#2`... should two packages ever share one.
  const used = new Set<string>([imageRef]);
  const uniqueRef = (purl: string) => {
    let ref = purl;
    for (let n = 2; used.has(ref); n++) ref = `${purl}#${n}`;
    used.add(ref);
    return ref;
  };
  const components = subject.inventory.packages.map((pkg): CycloneDxComponent => {
    const supplier = pkg.supplier === undefined ? undefined : splitContact(pkg.supplier);
    return {
      type: 'library',
      'bom-ref': uniqueRef(pkg.purl),
      ...(supplier
        ? { supplier: { name: supplier.name, ...(supplier.email ? { contact: [{ email: supplier.email }] } : {}) } }
        : {}),
      name: pkg.name,
      version: pkg.version,
      ...(pkg.sha256 ? { hashes: [{ alg: 'SHA-256' as const, content: pkg.sha256 }] } : {}),
      ...(pkg.license !== undefined
        ? {
            licenses: [
              isSpdxExpression(pkg.license) ? { expression: pkg.license } : { license: { name: pkg.license } },
            ],
          }
        : {}),
      purl: pkg.purl,
      properties: [
        { name: 'distroforge:architecture', value: pkg.architecture },
        { name: 'distroforge:installedBytes', value: String(pkg.installedBytes) },
        ...(pkg.sourcePackage !== undefined ? [{ name: 'distroforge:sourcePackage', value: pkg.sourcePackage }] : []),
      ],
    };
  });
  const metadata = {
    timestamp: epochTimestamp(subject.sourceDateEpoch),
    tools: { components: [{ type: 'application' as const, name: 'distroforge', version: subject.toolVersion }] },
    component: { type: 'operating-system' as const, 'bom-ref': imageRef, name: subject.name },
  };
  const dependencies = [{ ref: imageRef, dependsOn: components.map((c) => c['bom-ref']) }];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${contentUuid(JSON.stringify({ metadata, components }))}`,
    version: 1,
    metadata,
    components,
    dependencies,
  };
}
