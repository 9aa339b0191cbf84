// readPeImage against the tools people check EFI binaries with: objcopy for the .sbat section,
// osslsigncode for signing with a key of our own (so the signer's name is one we chose).
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSbatCsv, readPeImage } from '@distroforge/boot-loader';

const shim = '/usr/lib/shim/shimx64.efi';
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pe-image-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function objcopySbat(file: string): Promise<ReturnType<typeof parseSbatCsv>> {
  const out = join(work, 'sbat.bin');
  await execa('objcopy', ['-O', 'binary', '--only-section=.sbat', file, out]);
  return parseSbatCsv(await readFile(out, 'latin1'));
}

describe('readPeImage', () => {
  it("reads the .sbat records objcopy extracts, of Debian's shim and signed GRUB", async () => {
    for (const file of [shim, '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed']) {
      const info = readPeImage(await readFile(file));
      expect(info?.sbat.length).toBeGreaterThan(1);
      expect(info?.sbat).toEqual(await objcopySbat(file));
    }
  });

  it('tells an unsigned image from one signed with our own key, and names the signer', async () => {
    const unsigned = readPeImage(await readFile(shim));
    expect(unsigned).toMatchObject({ machine: 'x86_64', signed: false, signers: [] });
    const key = join(work, 'key.pem');
    const cert = join(work, 'cert.pem');
    await execa('openssl', [
      'req',
      '-new',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=distroforge test signer/O=distroforge',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const signedFile = join(work, 'signed.efi');
    await execa('osslsigncode', ['sign', '-certs', cert, '-key', key, '-in', shim, '-out', signedFile]);
    const signed = readPeImage(await readFile(signedFile));
    expect(signed).toMatchObject({ signed: true, signers: ['distroforge test signer'] });
    // Signing leaves the SBAT records as they were.
    expect(signed?.sbat).toEqual(unsigned?.sbat);
  });

  it('returns undefined for a file that is not a PE image', () => {
    expect(readPeImage(Buffer.from('MZ but nothing else'))).toBeUndefined();
    expect(readPeImage(Buffer.alloc(8192))).toBeUndefined();
  });
});
