import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { PacmanKeyringError } from './errors.js';

/**
 * gpg's owner trust values (the number after the fingerprint in `NAME-trusted`, as `gpg
 * --import-ownertrust` reads it: 2 undefined, 3 never, 4 marginal, 5 full, 6 ultimate).
 * archlinux-keyring lists its main keys with 4: marginal.
 */
export type PacmanOwnerTrust = 'unknown' | 'expired' | 'undefined' | 'never' | 'marginal' | 'full' | 'ultimate';

const OWNER_TRUST: readonly PacmanOwnerTrust[] = [
  'unknown',
  'expired',
  'undefined',
  'never',
  'marginal',
  'full',
  'ultimate',
];

/** A keyring in archlinux-keyring's layout, read: its keys, its main keys and its revoked keys. */
export interface PacmanKeyring {
  /** The folder it was read from. */
  readonly dir: string;
  /** The keyrings read (`archlinux` for `archlinux.gpg`, `archlinux-trusted`, `archlinux-revoked`). */
  readonly names: readonly string[];
  /** Every key of the `NAME.gpg` files (a key in two files merged into one). */
  readonly keys: readonly openpgp.PublicKey[];
  /** The main keys: fingerprints (40 upper-case hex digits) listed in `NAME-trusted`, with their owner trust. */
  readonly trusted: ReadonlyMap<string, PacmanOwnerTrust>;
  /** Fingerprints listed in `NAME-revoked` (pacman-key disables them: never valid). */
  readonly revoked: ReadonlySet<string>;
}

export interface LoadPacmanKeyringOptions {
  /**
   * The keyrings to read. Default: every `NAME.gpg` of the folder with a `NAME-trusted` beside it
   * (so Debian's /usr/share/keyrings, which also holds debian-archive-*.gpg, gives `archlinux`).
   */
  names?: readonly string[];
}

const FINGERPRINT = /^[0-9A-F]{40}$/;

/**
 * Reads a keyring folder in archlinux-keyring's layout — `NAME.gpg` (binary or ASCII-armoured
 * keys), `NAME-trusted` (`FINGERPRINT:LEVEL:` lines) and optionally `NAME-revoked` (a fingerprint a
 * line) — as `pacman-key --populate NAME` would take it. Nothing is computed about trust yet: that
 * depends on the time of verification (`pacmanKeyTrust`).
 */
export async function loadPacmanKeyring(dir: string, options: LoadPacmanKeyringOptions = {}): Promise<PacmanKeyring> {
  let names = options.names ? [...options.names] : undefined;
  if (!names) {
    const entries = await readdir(dir).catch((cause: unknown) => {
      throw new PacmanKeyringError(`cannot read keyring folder ${dir}: ${(cause as Error).message}`, {
        path: dir,
        cause,
      });
    });
    const files = new Set(entries);
    names = entries
      .filter((f) => f.endsWith('.gpg') && files.has(`${f.slice(0, -4)}-trusted`))
      .map((f) => f.slice(0, -4))
      .sort();
    if (names.length === 0)
      throw new PacmanKeyringError(
        `${dir} has no keyring in archlinux-keyring's layout (NAME.gpg with NAME-trusted beside it)`,
        { path: dir },
      );
  }
  if (names.length === 0) throw new PacmanKeyringError('no keyring names given', { path: dir });
  const byFingerprint = new Map<string, openpgp.PublicKey>();
  const trusted = new Map<string, PacmanOwnerTrust>();
  const revoked = new Set<string>();
  for (const name of names) {
    if (!/^[\w.+-]+$/.test(name) || name.startsWith('.'))
      throw new PacmanKeyringError(`not a keyring name: ${JSON.stringify(name)}`, { path: dir, value: name });
    const keyFile = join(dir, `${name}.gpg`);
    for (const key of await readKeys(keyFile)) {
      const fingerprint = key.getFingerprint().toUpperCase();
      const seen = byFingerprint.get(fingerprint);
      byFingerprint.set(fingerprint, seen ? await seen.update(key) : key);
    }
    const trustedFile = join(dir, `${name}-trusted`);
    for (const { line, fields } of await readLines(trustedFile, true)) {
      const [raw = '', level = '', ...rest] = fields;
      const fingerprint = raw.toUpperCase();
      if (!FINGERPRINT.test(fingerprint) || !/^\d{1,2}$/.test(level) || rest.some((f) => f !== '')) {
        throw new PacmanKeyringError(`${trustedFile}:${line}: expected FINGERPRINT:LEVEL: (40 hex digits, a number)`, {
          path: trustedFile,
          value: fields.join(':'),
        });
      }
      const trust = OWNER_TRUST[Number(level) & 15];
      if (!trust)
        throw new PacmanKeyringError(`${trustedFile}:${line}: owner trust ${level} is not one of gpg's (0-6)`, {
          path: trustedFile,
          value: level,
        });
      trusted.set(fingerprint, trust);
    }
    const revokedFile = join(dir, `${name}-revoked`);
    for (const { line, fields } of await readLines(revokedFile, false)) {
      const fingerprint = (fields[0] ?? '').toUpperCase();
      if (fields.length !== 1 || !FINGERPRINT.test(fingerprint)) {
        throw new PacmanKeyringError(`${revokedFile}:${line}: expected a fingerprint (40 hex digits)`, {
          path: revokedFile,
          value: fields.join(':'),
        });
      }
      revoked.add(fingerprint);
    }
  }
  return { dir, names, keys: [...byFingerprint.values()], trusted, revoked };
}

async function readKeys(file: string): Promise<openpgp.PublicKey[]> {
  const data = await readFile(file).catch((cause: unknown) => {
    throw new PacmanKeyringError(`cannot read ${file}: ${(cause as Error).message}`, { path: file, cause });
  });
  const armoured = data.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP');
  try {
    // archlinux-keyring's archlinux.gpg is ASCII-armoured despite its name: sniff, don't trust the suffix.
    const keys = armoured
      ? await openpgp.readKeys({ armoredKeys: data.toString('utf8') })
      : await openpgp.readKeys({ binaryKeys: data });
    return keys.map((key) => key.toPublic());
  } catch (cause) {
    throw new PacmanKeyringError(`${file} is not an OpenPGP keyring: ${(cause as Error).message}`, {
      path: file,
      cause,
    });
  }
}

/** The non-empty, non-comment lines of a `-trusted`/`-revoked` file split at colons (none when optional and absent). */
async function readLines(file: string, required: boolean): Promise<{ line: number; fields: string[] }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PacmanKeyringError(`cannot read ${file}: ${(cause as Error).message}`, { path: file, cause });
  }
  return text
    .split('\n')
    .map((raw, i) => ({ line: i + 1, text: raw.trim() }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'))
    .map(({ line, text }) => ({ line, fields: text.split(':') }));
}
