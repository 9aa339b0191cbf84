// The rows cache of a Packages index (<sha256>.rows-14.jsonl beside the verified file): what it keeps,
// that a damaged one is made again, and that a candidate refuses a row that is not its own.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { aptSource } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-index-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const packages = `Package: df-app
Version: 2.0-1
Architecture: amd64
Depends: df-lib (>= 1.0),
 df-data | df-data-alt
Priority: optional
Size: 1234
Installed-Size: 10
SHA256: ${'A'.repeat(64)}
Filename: pool/main/d/df-app/df-app_2.0-1_amd64.deb
Description: the application UNNEEDED-SUMMARY
 A long description nobody resolves with. UNNEEDED-BODY
Tag: UNNEEDED-TAG

Package: df-lib
Version: 1.2
Architecture: all
Provides: df-lib-abi (= 1)
Essential: yes
SHA256: ${'b'.repeat(64)}
Filename: pool/main/d/df-lib/df-lib_1.2_all.deb
Description: UNNEEDED-LIB

Package: df-foreign
Version: 1
Architecture: arm64
SHA256: ${'c'.repeat(64)}
Filename: pool/main/d/df-foreign/df-foreign_1_arm64.deb
`;

/** A file:// mirror with an unsigned InRelease (read with insecureSkipSignatureCheck). */
function mirror(): string {
  const root = join(work, 'mirror');
  const dist = join(root, 'dists/bookworm');
  mkdirSync(join(dist, 'main/binary-amd64'), { recursive: true });
  writeFileSync(join(dist, 'main/binary-amd64/Packages'), packages);
  const digest = createHash('sha256').update(packages).digest('hex');
  writeFileSync(
    join(dist, 'InRelease'),
    `Suite: stable\nCodename: bookworm\nArchitectures: amd64\nComponents: main\nSHA256:\n ${digest} ${Buffer.byteLength(packages)} main/binary-amd64/Packages\n`,
  );
  return pathToFileURL(root).href;
}

const url = mirror();
const cacheDir = join(work, 'cache');
const source = aptSource({
  mirrors: [url],
  components: ['main'],
  keyring: join(work, 'no-keyring.gpg'),
  insecureSkipSignatureCheck: true,
  aptConfigDir: join(work, 'no-apt'),
});
const readIndex = () => source.index({ suite: 'bookworm', variant: 'extract', architecture: 'amd64', cacheDir });
const rowsFile = () => {
  const dir = join(cacheDir, 'indexes');
  const name = readdirSync(dir).find((f) => f.endsWith('.rows-14.jsonl'));
  if (!name) throw new Error(`no rows cache in ${dir}`);
  return join(dir, name);
};
/** Everything a candidate offers, its lazy fields included. */
const described = async () =>
  (await readIndex()).candidates.map((c) => ({
    ...JSON.parse(JSON.stringify(c)),
    depends: c.depends,
    preDepends: c.preDepends,
    recommends: c.recommends,
    provides: c.provides,
  }));

describe('the rows cache of a Packages index', () => {
  it('keeps only the fields resolution needs, and the candidates read the rest from it', async () => {
    const candidates = await described();
    expect(candidates.map((c) => c.name)).toEqual(['df-app', 'df-lib']); // arm64 is not a candidate
    expect(candidates[0]).toMatchObject({
      version: '2.0-1',
      architecture: 'amd64',
      essential: false,
      priority: 'optional',
      size: 1234,
      installedSize: 10 * 1024,
      sha256: 'a'.repeat(64),
      location: `${url}/pool/main/d/df-app/df-app_2.0-1_amd64.deb`,
      origin: 'bookworm',
      depends: [[{ name: 'df-lib', operator: '>=', version: '1.0' }], [{ name: 'df-data' }, { name: 'df-data-alt' }]],
      recommends: [],
    });
    expect(candidates[1]).toMatchObject({
      essential: true,
      provides: [{ name: 'df-lib-abi', operator: '=', version: '1' }],
    });
    const rows = readFileSync(rowsFile(), 'utf8');
    expect(rows).not.toContain('UNNEEDED');
    expect(rows.endsWith('\n[3]\n')).toBe(true); // every paragraph, then the count
  });

  it("removes an earlier release's cache of the same index when it writes its own", async () => {
    const file = rowsFile();
    const legacy = file.replace(/\.rows-14\.jsonl$/, '.rows-14.json');
    writeFileSync(legacy, '[]');
    rmSync(file);
    await readIndex();
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });

  it('is made again when it does not read back whole, with the same candidates', async () => {
    const before = await described();
    const file = rowsFile();
    const whole = readFileSync(file, 'utf8');
    for (const damaged of [whole.slice(0, whole.lastIndexOf('[')), whole.replace('"df-lib"', '"df-lib'), '']) {
      writeFileSync(file, damaged);
      expect(await described()).toEqual(before);
      expect(readFileSync(file, 'utf8')).toBe(whole);
    }
  });

  it("refuses a row that is not the candidate's own (its file replaced while in use)", async () => {
    const [app] = (await readIndex()).candidates;
    const file = rowsFile();
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, whole.replaceAll('df-app', 'df-xyz'));
    try {
      expect(() => app!.depends).toThrow(expect.objectContaining({ code: 'ERR_BOOTSTRAP_RELEASE', path: file }));
    } finally {
      writeFileSync(file, whole);
    }
  });
});
