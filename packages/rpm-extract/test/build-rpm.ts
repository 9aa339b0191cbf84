import { execa } from 'execa';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** rpmbuild payload settings, one per compressor rpm supports. */
export const payloadSettings = {
  zstd: 'w19.zstdio',
  xz: 'w9.xzdio',
  gzip: 'w9.gzdio',
  bzip2: 'w9.bzdio',
  identity: 'w.ufdio',
  lzma: 'w6.lzdio',
} as const;

export type Compressor = keyof typeof payloadSettings;

/** A spec exercising what an extractor must get right: hard links, symlinks, non-ASCII names, attributes. */
export const fixtureSpec = `
Name: df-fixture
Version: 1.2.3
Release: 4
Epoch: 7
Summary: distroforge rpm-extract fixture
License: MIT
BuildArch: noarch
Requires: bash >= 5.0
Requires(pre): coreutils
Provides: df-fixture-virtual = 1.0
Conflicts: df-old < 1.0
Obsoletes: df-older <= 0.9
Recommends: df-rec
Suggests: df-sug > 2
Supplements: df-sup
Enhances: df-enh = 3

%description
Fixture.

%install
mkdir -p %{buildroot}/opt/df/sub %{buildroot}/opt/df/empty %{buildroot}/opt/df/private %{buildroot}/etc
printf 'hello world\\n' > %{buildroot}/opt/df/hello.txt
head -c 70000 /dev/urandom > %{buildroot}/opt/df/random.bin
ln %{buildroot}/opt/df/random.bin %{buildroot}/opt/df/random-link1.bin
ln %{buildroot}/opt/df/random.bin %{buildroot}/opt/df/sub/random-link2.bin
: > %{buildroot}/opt/df/empty.txt
ln -s hello.txt %{buildroot}/opt/df/rel-link
ln -s /etc/df.conf %{buildroot}/opt/df/abs-link
printf 'grüße\\n' > "%{buildroot}/opt/df/grüße-日本.txt"
printf 'setuid\\n' > %{buildroot}/opt/df/suid
printf 'key=value\\n' > %{buildroot}/etc/df.conf
printf 'docs\\n' > %{buildroot}/opt/df/README
printf 'caps\\n' > %{buildroot}/opt/df/ping
printf 'secret\\n' > %{buildroot}/opt/df/private/secret

%pre
echo pre

%post -p /sbin/ldconfig

%postun -p <lua>
print("postun")

%files
%dir /opt/df
/opt/df/hello.txt
/opt/df/random.bin
/opt/df/random-link1.bin
/opt/df/sub
/opt/df/empty.txt
/opt/df/rel-link
/opt/df/abs-link
"/opt/df/grüße-日本.txt"
%attr(4755, daemon, bin) /opt/df/suid
%config(noreplace) /etc/df.conf
%doc /opt/df/README
%caps(cap_net_raw=ep) /opt/df/ping
%dir %attr(0700, daemon, daemon) /opt/df/private
%attr(0600, daemon, daemon) /opt/df/private/secret
%dir /opt/df/empty
%ghost /opt/df/ghost.log
%dev(c, 1, 3) /opt/df/null
%dev(b, 7, 0) /opt/df/loop0
`;

/** Builds the fixture spec once per compressor under `topdir`; returns compressor -> package path. */
export async function buildFixtures(
  topdir: string,
  compressors: readonly Compressor[],
  spec = fixtureSpec,
): Promise<Record<string, string>> {
  const specFile = join(topdir, 'df-fixture.spec');
  await mkdir(topdir, { recursive: true });
  await writeFile(specFile, spec);
  const out: Record<string, string> = {};
  for (const compressor of compressors) {
    const rpmdir = join(topdir, `RPMS-${compressor}`);
    await execa(
      'rpmbuild',
      [
        '-bb',
        '--quiet',
        '--define',
        `_topdir ${topdir}`,
        '--define',
        `_rpmdir ${rpmdir}`,
        '--define',
        `_binary_payload ${payloadSettings[compressor]}`,
        '--define',
        '__os_install_post %{nil}',
        '--define',
        'debug_package %{nil}',
        '--define',
        '_build_id_links none',
        specFile,
      ],
      { env: { SOURCE_DATE_EPOCH: '1700000000', LC_ALL: 'C.UTF-8' }, timeout: 120_000 },
    );
    const arch = join(rpmdir, 'noarch');
    const [file] = await readdir(arch);
    out[compressor] = join(arch, file!);
  }
  return out;
}
