// The SBOMs of an image: SPDX 2.3 and CycloneDX 1.5 JSON, validated against the official schemas
// (spdx-spec v2.3's, CycloneDX's bom-1.5) with ajv; a broken document fails them.
import parseSpdxExpression from 'spdx-expression-parse';
import { describe, expect, it } from 'vitest';
import type { ImageInventory, InventoryPackage } from '../src/inventory/image-inventory.js';
import { cycloneDxDocument } from '../src/sbom/cyclonedx-document.js';
import { spdxLicenseExpression } from '../src/sbom/license-expression.js';
import { spdxDocument } from '../src/sbom/spdx-document.js';
import { cycloneDxErrors, spdxErrors } from './sbom-schemas.js';

const pkg = (name: string, extra: Partial<InventoryPackage> = {}): InventoryPackage => {
  const { version = '1.0-1', architecture = 'amd64' } = extra;
  return {
    name,
    version,
    architecture,
    purl: `pkg:deb/debian/${encodeURIComponent(name)}@${encodeURIComponent(version)}?arch=${architecture}`,
    installedBytes: 10,
    files: [{ path: `/usr/share/${name}`, bytes: 10 }],
    ...extra,
  };
};

const inventory: ImageInventory = {
  format: 'deb',
  packages: [
    pkg('base-files', {
      license: 'GPL-2.0-or-later',
      supplier: 'Santiago Vila <sanvila@debian.org>',
      sha256: 'a'.repeat(64),
    }),
    pkg('hello', {
      license: 'GPL-3+ AND (LGPL-2.1+ or MIT)',
      sourcePackage: 'hello-src',
      supplier: 'Jane <j@example.org>',
    }),
    pkg('libstdc++6', {
      version: '1:12.2.0-14',
      supplier: 'Example Corp',
      supplierType: 'organization',
      sha256: 'b'.repeat(64),
    }),
    pkg('libstdc++6', { architecture: 'i386', license: 'public domain' }),
  ],
  unowned: [{ path: '/etc/machine-id', bytes: 33 }],
  totalBytes: 73,
};
const subject = { name: 'demo', sourceDateEpoch: 1_700_000_000, inventory, toolVersion: '0.1.0' };

describe('the SPDX 2.3 document', () => {
  const doc = spdxDocument(subject);

  it('is valid against the official SPDX 2.3 schema, and a broken one is not', () => {
    expect(spdxErrors(doc)).toEqual([]);
    const noLocation = structuredClone(doc) as unknown as { packages: Record<string, unknown>[] };
    delete noLocation.packages[1]!.downloadLocation;
    expect(spdxErrors(noLocation).map((e) => e.message)).toContain("must have required property 'downloadLocation'");
    const badChecksum = structuredClone(doc) as unknown as { packages: { checksums?: { algorithm: string }[] }[] };
    badChecksum.packages[1]!.checksums![0]!.algorithm = 'SHA-256';
    expect(spdxErrors(badChecksum).length).toBeGreaterThan(0);
    expect(spdxErrors({ ...doc, relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT' }] }).length).toBeGreaterThan(0);
  });

  it('describes the image, which contains exactly the inventory packages with version, licence, supplier, PURL and digest', () => {
    expect(doc.creationInfo.created).toBe('2023-11-14T22:13:20Z');
    const [image, ...packages] = doc.packages;
    expect(image!.SPDXID).toBe('SPDXRef-Image');
    expect(packages.map((p) => [p.name, p.versionInfo])).toEqual(inventory.packages.map((p) => [p.name, p.version]));
    expect(new Set(doc.packages.map((p) => p.SPDXID)).size).toBe(doc.packages.length);
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(doc.relationships[0]).toEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image',
    });
    expect(doc.relationships.slice(1)).toEqual(
      packages.map((p) => ({
        spdxElementId: 'SPDXRef-Image',
        relationshipType: 'CONTAINS',
        relatedSpdxElement: p.SPDXID,
      })),
    );
    expect(packages.map((p) => p.externalRefs?.[0]?.referenceLocator)).toEqual(inventory.packages.map((p) => p.purl));
    expect(packages.map((p) => p.checksums?.[0]?.checksumValue)).toEqual([
      'a'.repeat(64),
      undefined,
      'b'.repeat(64),
      undefined,
    ]);
    expect(packages.map((p) => p.supplier)).toEqual([
      'Person: Santiago Vila (sanvila@debian.org)',
      'Person: Jane (j@example.org)',
      'Organization: Example Corp',
      'NOASSERTION',
    ]);
    expect(packages.map((p) => p.licenseDeclared)).toEqual([
      'GPL-2.0-or-later',
      'LicenseRef-GPL-3-plus AND (LGPL-2.1+ OR MIT)',
      'NOASSERTION',
      'LicenseRef-public-domain',
    ]);
    expect(packages[1]!.sourceInfo).toBe('built from the source package hello-src');
  });

  it('every licence is an SPDX expression, each LicenseRef- with its declared text', () => {
    const refs = new Set(doc.hasExtractedLicensingInfos?.map((e) => e.licenseId));
    for (const p of doc.packages) {
      if (p.licenseDeclared === 'NOASSERTION') continue;
      expect(() => parseSpdxExpression(p.licenseDeclared)).not.toThrow();
      for (const ref of p.licenseDeclared.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) expect(refs).toContain(ref);
    }
    expect(doc.hasExtractedLicensingInfos?.find((e) => e.licenseId === 'LicenseRef-public-domain')?.name).toBe(
      'public domain',
    );
  });

  it('is deterministic: the same inventory gives the same bytes, another version another namespace', () => {
    expect(JSON.stringify(spdxDocument(subject))).toBe(JSON.stringify(doc));
    const changed = structuredClone(inventory);
    changed.packages[1]!.version = '1.0-2';
    expect(spdxDocument({ ...subject, inventory: changed }).documentNamespace).not.toBe(doc.documentNamespace);
    expect(doc.documentNamespace).toMatch(
      /^https:\/\/spdx\.org\/spdxdocs\/demo-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/,
    );
  });
});

describe('the CycloneDX 1.5 BOM', () => {
  const bom = cycloneDxDocument(subject);

  it('is valid against the official bom-1.5 schema, and a broken one is not', () => {
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(cycloneDxErrors({ ...bom, serialNumber: 'not-a-urn' }).length).toBeGreaterThan(0);
    const badType = structuredClone(bom) as unknown as { components: { type: string }[] };
    badType.components[0]!.type = 'package';
    expect(cycloneDxErrors(badType).length).toBeGreaterThan(0);
  });

  it('lists exactly the inventory packages, the image depending on each; licences as expressions or names', () => {
    expect(bom.components.map((c) => [c.name, c.version, c.purl])).toEqual(
      inventory.packages.map((p) => [p.name, p.version, p.purl]),
    );
    expect(bom.dependencies).toEqual([{ ref: 'image:demo', dependsOn: inventory.packages.map((p) => p.purl) }]);
    expect(bom.components.map((c) => c.licenses)).toEqual([
      [{ expression: 'GPL-2.0-or-later' }],
      [{ license: { name: 'GPL-3+ AND (LGPL-2.1+ or MIT)' } }],
      undefined,
      [{ license: { name: 'public domain' } }],
    ]);
    expect(bom.metadata.timestamp).toBe('2023-11-14T22:13:20Z');
    expect(cycloneDxDocument(subject).serialNumber).toBe(bom.serialNumber);
  });
});

describe('declared licences as SPDX expressions', () => {
  it.each([
    [undefined, 'NOASSERTION'],
    ['MIT', 'MIT'],
    ['GPL-2.0-or-later WITH Classpath-exception-2.0', 'GPL-2.0-or-later WITH Classpath-exception-2.0'],
    ['GPLv2+', 'LicenseRef-GPLv2-plus'],
    ['GPL-2+ or Artistic', 'LicenseRef-GPL-2-plus OR LicenseRef-Artistic'],
    ['MIT and BSD', 'MIT AND LicenseRef-BSD'],
    ['custom:None', 'LicenseRef-custom-None'],
    ['(MIT', 'LicenseRef-MIT'],
    ['GPL-3+ with Bison exception', 'LicenseRef-GPL-3-plus-with-Bison-exception'],
    [
      'GPL-3+ and GPL-3+ with Bison exception and MIT',
      'LicenseRef-GPL-3-plus AND LicenseRef-GPL-3-plus-with-Bison-exception AND MIT',
    ],
    ['LGPL-2.1-only with GCC-exception-3.1 or BSD', 'LGPL-2.1-only WITH GCC-exception-3.1 OR LicenseRef-BSD'],
  ])('%s -> %s', (declared, expression) => {
    const result = spdxLicenseExpression(declared);
    expect(result.expression).toBe(expression);
    if (expression !== 'NOASSERTION') expect(() => parseSpdxExpression(result.expression)).not.toThrow();
  });
});
