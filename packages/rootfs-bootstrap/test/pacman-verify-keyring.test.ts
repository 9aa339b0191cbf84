// The keys pacman would accept from Debian's real archlinux-keyring (package archlinux-keyring,
// /usr/share/keyrings) equal those plain gpg finds valid after pacman-key's populate steps, at the
// keyring's own date and at the time the test runs. The keyring changes with each Debian update, so
// the figures are printed, not pinned; what must hold is the equality.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computePacmanKeyTrust, loadPacmanKeyring } from '../src/index.js';
import { gpgPacmanHome, gpgValidities } from './pacman-verify-gpg.js';

const DIR = '/usr/share/keyrings';
const haveKeyring = existsSync(join(DIR, 'archlinux.gpg'));
const work = mkdtempSync(join(tmpdir(), 'df-pacman-keyring-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!haveKeyring)("Debian's archlinux-keyring", () => {
  // The keyring file's date (its mtime, from the package) lies after every signature in it.
  const keyringDate = haveKeyring ? statSync(join(DIR, 'archlinux.gpg')).mtime : new Date(0);
  const moments: Array<[string, Date]> = [
    ["the keyring's date", keyringDate],
    ['the time of the test', new Date(Math.floor(Date.now() / 1000) * 1000)],
  ];

  it.each(moments)(
    "the valid keys (and the marginal ones) equal gpg's after pacman-key --populate, at %s",
    async (label, now) => {
      const keyring = await loadPacmanKeyring(DIR);
      expect(keyring.names).toEqual(['archlinux']);
      // No main key is also listed as revoked (where we are stricter than gpg: see pacman-verify-signature.test.ts).
      expect([...keyring.trusted.keys()].filter((f) => keyring.revoked.has(f))).toEqual([]);
      const ours = await computePacmanKeyTrust(keyring, { now });
      const gpg = await gpgPacmanHome(join(work, label.replaceAll(' ', '-')), DIR, ['archlinux'], now);
      const validity = await gpgValidities(gpg);
      // pacman accepts a key gpg finds fully or ultimately valid and that is not disabled (a disabled
      // key keeps its validity in gpg; pacman refuses it as "key disabled").
      const gpgValid = [...validity]
        .filter(([fpr, v]) => (v.validity === 'f' || v.validity === 'u') && !v.disabled && fpr !== gpg.master)
        .map(([fpr]) => fpr)
        .sort();
      const disabledValid = [...validity].filter(
        ([, v]) => (v.validity === 'f' || v.validity === 'u') && v.disabled,
      ).length;
      const ourValid = ours
        .filter((k) => k.validity === 'full' || k.validity === 'ultimate')
        .map((k) => k.fingerprint)
        .sort();
      const packagers = ours.filter((k) => !k.main && k.validity === 'full');
      const mains = ours.filter((k) => k.main && k.validity === 'full');
      console.log(
        `${label} (${now.toISOString()}): ${keyring.keys.length} keys, ${keyring.trusted.size} main keys listed (${mains.length} valid), ${keyring.revoked.size} revoked listed; ` +
          `${packagers.length} packager keys valid; gpg: ${gpgValid.length} valid keys besides its master key (and ${disabledValid} valid but disabled)`,
      );
      const mismatch = [...new Set([...gpgValid, ...ourValid])]
        .filter((f) => gpgValid.includes(f) !== ourValid.includes(f))
        .map((f) => ({
          fingerprint: f,
          gpg: validity.get(f)?.validity,
          ours: ours.find((k) => k.fingerprint === f)?.validity,
          reason: ours.find((k) => k.fingerprint === f)?.reason,
        }));
      expect(mismatch).toEqual([]);
      expect(ourValid).toEqual(gpgValid);
      // The keys certified by too few main keys (gpg's marginal validity, disabled ones aside) are the same ones too.
      const gpgMarginal = [...validity]
        .filter(([, v]) => v.validity === 'm' && !v.disabled)
        .map(([fpr]) => fpr)
        .sort();
      expect(
        ours
          .filter((k) => k.validity === 'marginal')
          .map((k) => k.fingerprint)
          .sort(),
      ).toEqual(gpgMarginal);
      // Every key gpg imported is one we read, and the other way round.
      expect([...validity.keys()].filter((f) => f !== gpg.master).sort()).toEqual(
        ours.map((k) => k.fingerprint).sort(),
      );
    },
    300_000,
  );
});
