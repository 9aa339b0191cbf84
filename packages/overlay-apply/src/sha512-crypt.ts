import { createHash } from 'node:crypto';
import { OverlayApplyError } from './errors.js';

const itoa64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const defaultRounds = 5000;
const minRounds = 1000;
const maxRounds = 999_999_999;
/** Salt characters crypt(3) accepts; the spec uses at most 16 of them. */
const saltPattern = /^[./0-9A-Za-z]{1,16}$/;

export interface Sha512CryptOptions {
  /** 1-16 characters of `[./0-9A-Za-z]`. */
  salt: string;
  /** 1000..999999999; 5000 (the default) is written without a `rounds=` prefix. */
  rounds?: number;
}

/**
 * SHA-512 crypt (`$6$`), implemented from Ulrich Drepper's specification
 * (https://www.akkadia.org/drepper/SHA-crypt.txt); byte-identical to glibc's crypt(3),
 * `openssl passwd -6` and `mkpasswd -m sha-512`.
 */
export function sha512Crypt(password: string, options: Sha512CryptOptions): string {
  const { salt } = options;
  const rounds = options.rounds ?? defaultRounds;
  if (!saltPattern.test(salt)) {
    throw new OverlayApplyError(
      'ERR_OVERLAY_OPTIONS_INVALID',
      `sha512-crypt salt must be 1-16 characters of [./0-9A-Za-z]: ${JSON.stringify(salt)}`,
      {
        value: salt,
        hint: 'omit the salt to derive one deterministically',
      },
    );
  }
  if (!Number.isInteger(rounds) || rounds < minRounds || rounds > maxRounds) {
    throw new OverlayApplyError(
      'ERR_OVERLAY_OPTIONS_INVALID',
      `sha512-crypt rounds must be an integer in ${minRounds}..${maxRounds}: ${rounds}`,
      {
        value: rounds,
        hint: 'use the default 5000 or a larger value',
      },
    );
  }
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'ascii');

  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s);
  a.update(repeatTo(b, p.length));
  for (let length = p.length; length > 0; length >>= 1) a.update(length & 1 ? b : p);
  const digestA = a.digest();

  const dp = sha512(...Array<Buffer>(p.length).fill(p));
  const pBytes = repeatTo(dp, p.length);
  const ds = sha512(...Array<Buffer>(16 + (digestA[0] as number)).fill(s));
  const sBytes = repeatTo(ds, s.length);

  let c = digestA;
  for (let i = 0; i < rounds; i++) {
    const round = createHash('sha512');
    round.update(i & 1 ? pBytes : c);
    if (i % 3) round.update(sBytes);
    if (i % 7) round.update(pBytes);
    round.update(i & 1 ? c : pBytes);
    c = round.digest();
  }

  const prefix = options.rounds === undefined ? '$6$' : `$6$rounds=${rounds}$`;
  return `${prefix}${salt}$${encode(c)}`;
}

/** Re-hashes `password` with the salt and rounds of `hash` and compares. */
export function verifySha512Crypt(password: string, hash: string): boolean {
  const match = /^\$6\$(?:rounds=(\d+)\$)?([^$]{1,16})\$[./0-9A-Za-z]{86}$/.exec(hash);
  if (!match) return false;
  const rounds = match[1] === undefined ? undefined : Number(match[1]);
  if (rounds !== undefined && (rounds < minRounds || rounds > maxRounds)) return false;
  try {
    return sha512Crypt(password, { salt: match[2] as string, ...(rounds === undefined ? {} : { rounds }) }) === hash;
  } catch {
    return false;
  }
}

/**
 * A salt derived from the inputs, so a plain-text password gives the same hash on every build
 * of the same profile: the first 16 base-64 characters of SHA-512 over
 * `"distroforge-sha512-crypt-salt\0" + user + "\0" + epoch + "\0" + password`.
 */
export function deterministicSalt(user: string, password: string, epoch: number | undefined): string {
  const digest = createHash('sha512')
    .update(`distroforge-sha512-crypt-salt\0${user}\0${epoch ?? ''}\0`)
    .update(password, 'utf8')
    .digest();
  let salt = '';
  for (let i = 0; i < 16; i++) salt += itoa64[(digest[i] as number) & 0x3f];
  return salt;
}

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `length` bytes made of `block` repeated (the spec's "for each block of 64 bytes" loops). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length)
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
}

/** The spec's byte permutation, then 24-bit groups in crypt's little-endian base 64. */
function encode(c: Buffer): string {
  let out = '';
  const put = (b2: number, b1: number, b0: number, chars: number) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < chars; i++, w >>= 6) out += itoa64[w & 0x3f];
  };
  for (let k = 0; k < 21; k++) {
    const triple = [c[k] as number, c[k + 21] as number, c[k + 42] as number];
    const r = k % 3;
    put(triple[r] as number, triple[(r + 1) % 3] as number, triple[(r + 2) % 3] as number, 4);
  }
  put(0, 0, c[63] as number, 2);
  return out;
}
