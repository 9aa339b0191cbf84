// Throw-away OpenPGP keys made with gpg in a private GNUPGHOME, for tests that sign repository
// metadata (InRelease, repomd.xml.asc) and packages (rpmsign).
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestGpg {
  /** The GNUPGHOME (for tools such as rpmsign that call gpg themselves). */
  home: string;
  /** Runs gpg in batch mode without a passphrase; resolves to its stdout. */
  run(args: readonly string[], input?: string): Promise<string>;
  /** Makes a signing key `DF <name> <name@df.test>`; returns its armoured public key file and key id (16 hex, lower case). */
  createKey(name: string, algorithm?: string): Promise<{ file: string; keyId: string; user: string }>;
  /** Clear-signs `text` as an InRelease file is signed. */
  clearsign(text: string, user: string): Promise<string>;
}

/** A new GNUPGHOME under `dir`. */
export async function testGpg(dir: string): Promise<TestGpg> {
  const home = join(dir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const run = async (args: readonly string[], input?: string) =>
    (
      await execa(
        'gpg',
        ['--batch', '--quiet', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
        { env: { GNUPGHOME: home }, ...(input === undefined ? {} : { input }) },
      )
    ).stdout;
  return {
    home,
    run,
    async createKey(name, algorithm = 'rsa2048') {
      const user = `${name}@df.test`;
      await run(['--quick-gen-key', `DF ${name} <${user}>`, algorithm, 'sign', 'never']);
      const file = join(dir, `${name}.asc`);
      await writeFile(file, await run(['--export', '--armor', user]));
      const keyId = /^fpr:+([0-9A-F]+):/m
        .exec(await run(['--with-colons', '--list-keys', user]))![1]!
        .slice(-16)
        .toLowerCase();
      return { file, keyId, user };
    },
    clearsign: (text, user) => run(['--local-user', user, '--clearsign'], text),
  };
}
