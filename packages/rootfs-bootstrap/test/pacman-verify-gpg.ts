// gpg as the oracle of the pacman signature checks: a scratch GNUPGHOME set up the way
// `pacman-key --init` + `--populate NAME` set up /etc/pacman.d/gnupg (Debian's pacman-key itself
// fails for want of makepkg's helper scripts), then gpg's own verdicts: the validity of every key
// (`--list-keys --with-colons`) and `gpg --verify`'s status lines.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface GpgPacmanHome {
  home: string;
  /** The local master key (ultimately trusted), as pacman-key --init makes it. */
  master: string;
  /** `--faked-system-time` arguments when the home runs at a fixed time. */
  timeArgs: string[];
  /** Runs gpg in this home at the home's time; resolves to stdout. */
  run(args: readonly string[], input?: string): Promise<string>;
}

/**
 * A GNUPGHOME populated from the keyring folder `dir` as `pacman-key --populate` does: import
 * `NAME.gpg`, a local master key that locally signs every key of `NAME-trusted`, the owner trust of
 * `NAME-trusted` imported, the keys of `NAME-revoked` disabled, then `--check-trustdb`. With `now`,
 * every gpg call runs at that (frozen) time.
 */
export async function gpgPacmanHome(
  work: string,
  dir: string,
  names: readonly string[],
  now?: Date,
): Promise<GpgPacmanHome> {
  const home = join(work, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const time = now ? ['--faked-system-time', `${Math.floor(now.getTime() / 1000)}!`] : [];
  const run = async (args: readonly string[], input?: string) =>
    (
      await execa(
        'gpg',
        [
          '--batch',
          '--no-tty',
          '--quiet',
          '--no-auto-check-trustdb',
          '--pinentry-mode',
          'loopback',
          '--passphrase',
          '',
          ...time,
          ...args,
        ],
        {
          env: { GNUPGHOME: home, LC_ALL: 'C' },
          ...(input === undefined ? {} : { input }),
        },
      )
    ).stdout;
  await run(['--quick-gen-key', 'Pacman Keyring Master Key <pacman@localhost>', 'ed25519', 'sign', 'never']);
  const master = fingerprints(await run(['--with-colons', '--list-secret-keys']))[0]!;
  for (const name of names) {
    await run(['--import', join(dir, `${name}.gpg`)]).catch(() => '');
    const present = new Set(fingerprints(await run(['--with-colons', '--list-keys'])));
    const trusted = await readFile(join(dir, `${name}-trusted`), 'utf8');
    for (const fpr of trusted
      .split('\n')
      .map((l) => l.split(':')[0]!.trim().toUpperCase())
      .filter((f) => present.has(f))) {
      await run(['--yes', '--quick-lsign-key', fpr]).catch(() => ''); // fails for an expired or revoked key, as pacman-key's does
    }
    await run(['--import-ownertrust', join(dir, `${name}-trusted`)]);
    const revoked = await readFile(join(dir, `${name}-revoked`), 'utf8').catch(() => '');
    for (const fpr of revoked
      .split('\n')
      .map((l) => l.trim().toUpperCase())
      .filter((f) => present.has(f))) {
      await run(['--command-fd', '0', '--edit-key', fpr], 'disable\nquit\n');
    }
  }
  await run(['--check-trustdb']).catch(() => '');
  return { home, master, run, timeArgs: time };
}

/** The fingerprints of the primary keys in `--with-colons` output, in order. */
export function fingerprints(colons: string): string[] {
  const out: string[] = [];
  let wantFpr = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub' || f[0] === 'sec') wantFpr = true;
    else if (f[0] === 'fpr' && wantFpr) {
      out.push(f[9]!);
      wantFpr = false;
    } else if (f[0] === 'sub' || f[0] === 'ssb') wantFpr = false;
  }
  return out;
}

/**
 * Every primary key's validity letter (`--list-keys --with-colons` field 2) by fingerprint, and
 * whether it is disabled (`D` in field 12: gpg still computes the validity of a disabled key, pacman
 * refuses its signatures as "key disabled").
 */
export async function gpgValidities(gpg: GpgPacmanHome): Promise<Map<string, { validity: string; disabled: boolean }>> {
  const colons = await gpg.run(['--with-colons', '--list-keys']);
  const result = new Map<string, { validity: string; disabled: boolean }>();
  let validity = { validity: '', disabled: false };
  let wantFpr = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') {
      validity = { validity: f[1]!, disabled: (f[11] ?? '').includes('D') };
      wantFpr = true;
    } else if (f[0] === 'fpr' && wantFpr) {
      result.set(f[9]!, validity);
      wantFpr = false;
    } else if (f[0] === 'sub') wantFpr = false;
  }
  return result;
}

/**
 * `gpg --verify SIG DATA`'s exit code, status keywords (GOODSIG, BADSIG, EXPKEYSIG, TRUST_FULLY, ...)
 * and the signer's primary key fingerprint (VALIDSIG's last field).
 */
export async function gpgVerify(
  gpg: GpgPacmanHome,
  sigFile: string,
  dataFile: string,
): Promise<{ exitCode: number; status: string[]; validsigPrimary: string | undefined }> {
  const result = await execa(
    'gpg',
    ['--batch', '--no-tty', '--status-fd', '1', ...gpg.timeArgs, '--verify', sigFile, dataFile],
    {
      env: { GNUPGHOME: gpg.home, LC_ALL: 'C' },
      reject: false,
    },
  );
  const lines = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice(9).split(' '));
  const validsig = lines.find((l) => l[0] === 'VALIDSIG');
  return { exitCode: result.exitCode ?? -1, status: lines.map((l) => l[0]!), validsigPrimary: validsig?.at(-1) };
}

/** The pacman verdict gpg gives on a detached signature: `verified` or the code our check must throw. */
export type GpgVerdict =
  | 'verified'
  | 'ERR_PACMAN_SIG_BAD'
  | 'ERR_PACMAN_SIG_UNKNOWN_KEY'
  | 'ERR_PACMAN_SIG_UNTRUSTED'
  | 'ERR_PACMAN_SIG_REVOKED'
  | 'ERR_PACMAN_SIG_EXPIRED';

/**
 * What pacman makes of `gpg --verify` (libalpm's signing.c reads the same through gpgme): a bad
 * signature, an unknown key, a revoked key, an expired key or signature fail; so does a disabled key
 * (gpg's key listing, field 12); a good signature passes only with full or ultimate validity.
 */
export async function gpgVerdict(gpg: GpgPacmanHome, sigFile: string, dataFile: string): Promise<GpgVerdict> {
  const { status, validsigPrimary: signer } = await gpgVerify(gpg, sigFile, dataFile);
  if (status.includes('BADSIG')) return 'ERR_PACMAN_SIG_BAD';
  if (status.includes('NO_PUBKEY')) return 'ERR_PACMAN_SIG_UNKNOWN_KEY';
  if (status.includes('ERRSIG')) return 'ERR_PACMAN_SIG_BAD';
  if (status.includes('REVKEYSIG')) return 'ERR_PACMAN_SIG_REVOKED';
  if (status.includes('EXPKEYSIG') || status.includes('EXPSIG')) return 'ERR_PACMAN_SIG_EXPIRED';
  if (!status.includes('GOODSIG')) return 'ERR_PACMAN_SIG_BAD';
  const listing = await gpgValidities(gpg);
  if (signer && listing.get(signer)?.disabled) return 'ERR_PACMAN_SIG_REVOKED';
  return status.includes('TRUST_FULLY') || status.includes('TRUST_ULTIMATE') ? 'verified' : 'ERR_PACMAN_SIG_UNTRUSTED';
}
