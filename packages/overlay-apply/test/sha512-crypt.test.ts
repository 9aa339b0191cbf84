import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { deterministicSalt, sha512Crypt, verifySha512Crypt } from '../src/sha512-crypt.js';

// Oracles: OpenSSL's `passwd -6`, glibc's crypt(3) through Python's crypt module (for rounds= and
// the empty password, which `openssl passwd -stdin` cannot take), and the spec's first test vector.
async function openssl(password: string, salt: string): Promise<string> {
  const { stdout } = await execa('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], {
    input: password,
    timeout: 10_000,
  });
  return stdout.trim();
}

async function glibcCrypt(password: string, setting: string): Promise<string> {
  const script = 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))';
  const { stdout } = await execa('python3', ['-W', 'ignore', '-c', script, password, setting], { timeout: 10_000 });
  return stdout.trim();
}

describe('sha512Crypt', () => {
  const cases: Array<[string, string]> = [
    ['x', 'a'],
    ['Hello world!', 'saltstring'],
    ['correct horse battery staple', 'saltsaltsaltsalt'],
    ['ünïcødé pässwörd', './0123456789ABCD'],
    ['a'.repeat(64), 'sixtyfour'],
    ['b'.repeat(65), 'sixtyfive'],
    ['c'.repeat(200), 'long'],
  ];
  it.each(cases)('matches openssl passwd -6 for %j with salt %s', async (password, salt) => {
    expect(sha512Crypt(password, { salt })).toBe(await openssl(password, salt));
  });

  it('matches the specification test vectors with rounds=', () => {
    // From Drepper's SHA-crypt.txt.
    expect(sha512Crypt('Hello world!', { salt: 'saltstringsaltst', rounds: 10000 })).toBe(
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('matches glibc crypt(3) for the empty password and custom rounds', async () => {
    expect(sha512Crypt('', { salt: 'abc' })).toBe(await glibcCrypt('', '$6$abc'));
    expect(sha512Crypt('short salt, long password', { salt: 'roundstoolow', rounds: 1000 })).toBe(
      await glibcCrypt('short salt, long password', '$6$rounds=1000$roundstoolow'),
    );
    expect(sha512Crypt('pw', { salt: 'r', rounds: 5001 })).toBe(await glibcCrypt('pw', '$6$rounds=5001$r'));
  });

  it('refuses bad salts and out-of-range rounds instead of clamping', () => {
    expect(() => sha512Crypt('x', { salt: 'has$dollar' })).toThrow(
      expect.objectContaining({ code: 'ERR_OVERLAY_OPTIONS_INVALID' }),
    );
    expect(() => sha512Crypt('x', { salt: 'a'.repeat(17) })).toThrow(
      expect.objectContaining({ code: 'ERR_OVERLAY_OPTIONS_INVALID' }),
    );
    expect(() => sha512Crypt('x', { salt: 'abc', rounds: 999 })).toThrow(
      expect.objectContaining({ code: 'ERR_OVERLAY_OPTIONS_INVALID' }),
    );
  });

  it('verifies a hash made by openssl and rejects a wrong password', async () => {
    const hash = await openssl('live', 'Xy7.salt');
    expect(verifySha512Crypt('live', hash)).toBe(true);
    expect(verifySha512Crypt('Live', hash)).toBe(false);
    expect(verifySha512Crypt('live', '!')).toBe(false);
  });

  it('derives a stable salt from user, password and SOURCE_DATE_EPOCH', () => {
    const salt = deterministicSalt('alice', 'pw', 1_700_000_000);
    expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/);
    expect(deterministicSalt('alice', 'pw', 1_700_000_000)).toBe(salt);
    expect(deterministicSalt('bob', 'pw', 1_700_000_000)).not.toBe(salt);
    expect(deterministicSalt('alice', 'pw', 1_700_000_001)).not.toBe(salt);
  });
});
