import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeb822Sources, parseOneLineSources, repositoriesForSuite } from '../src/apt/sources-list.js';

const deb822 = `Types: deb deb-src
# a comment
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://example.org/src
Suites: bookworm
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security/
Suites: bookworm-security
Components: main
Enabled: yes

Types: deb
URIs: http://disabled.example.org
Suites: bookworm
Components: main
Enabled: no
`;

describe('apt sources', () => {
  it('parses deb822 .sources (types, multiple suites, Signed-By, Enabled)', () => {
    expect(parseDeb822Sources(deb822)).toEqual([
      {
        uri: 'http://deb.debian.org/debian',
        suite: 'bookworm',
        components: ['main', 'contrib'],
        signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
      },
      {
        uri: 'http://deb.debian.org/debian',
        suite: 'bookworm-updates',
        components: ['main', 'contrib'],
        signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
      },
      { uri: 'http://deb.debian.org/debian-security', suite: 'bookworm-security', components: ['main'] },
    ]);
  });

  it('parses one-line sources.list with options and comments', () => {
    const text =
      '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example.org/debian/ trixie main non-free-firmware\ndeb-src http://x y z\ndeb http://security.debian.org/debian-security bookworm-security main # tail\n';
    expect(parseOneLineSources(text)).toEqual([
      {
        uri: 'http://m.example.org/debian',
        suite: 'trixie',
        components: ['main', 'non-free-firmware'],
        signedBy: '/k.gpg',
      },
      { uri: 'http://security.debian.org/debian-security', suite: 'bookworm-security', components: ['main'] },
    ]);
  });

  it('takes the host entries for a suite and its companions (with the requested components), else the host mirror, else fails', async () => {
    const etc = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-apt-'));
    mkdirSync(join(etc, 'sources.list.d'));
    writeFileSync(join(etc, 'sources.list.d/debian.sources'), deb822);
    writeFileSync(join(etc, 'sources.list'), 'deb http://other.example.org/debian bullseye main\n');
    const bookworm = await repositoriesForSuite('bookworm', undefined, ['main'], etc);
    expect(bookworm.map((r) => `${r.uri} ${r.suite}`)).toEqual([
      'http://deb.debian.org/debian bookworm',
      'http://deb.debian.org/debian bookworm-updates',
      'http://deb.debian.org/debian-security bookworm-security',
    ]);
    // The host names the mirrors; the components are the request's, whatever the host lists.
    const firmware = await repositoriesForSuite('bookworm', undefined, ['main', 'non-free-firmware'], etc);
    expect(firmware.map((r) => `${r.suite}: ${r.components.join(' ')}`)).toEqual([
      'bookworm: main non-free-firmware',
      'bookworm-updates: main non-free-firmware',
      'bookworm-security: main non-free-firmware',
    ]);
    const trixie = await repositoriesForSuite('trixie', undefined, ['main'], etc);
    expect(trixie).toEqual([
      { uri: 'http://other.example.org/debian', suite: 'trixie', components: ['main'] },
      { uri: 'http://deb.debian.org/debian', suite: 'trixie', components: ['main'] },
    ]);
    const explicit = await repositoriesForSuite('bookworm', ['file:///srv/mirror/'], ['main'], etc);
    expect(explicit).toEqual([{ uri: 'file:///srv/mirror', suite: 'bookworm', components: ['main'] }]);
    const empty = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-apt-'));
    await expect(repositoriesForSuite('bookworm', undefined, ['main'], empty)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_NO_MIRROR',
    });
  });
});
