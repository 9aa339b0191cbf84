// Run from a fresh project where the packed tarball is installed (see e2e/packed-packages.test.ts):
// builds a small BIOS + UEFI ISO from Debian's kernel (DISTROFORGE_REPO/.cache/kernel) and a dummy
// initrd, then inspects it.
import { assembleIso, inspectIso, InvalidOptionsError } from '@distroforge/iso-assemble';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = process.env.DISTROFORGE_REPO;
if (!repo) throw new Error('set DISTROFORGE_REPO to the repository root');
const boot = join(repo, '.cache/kernel/current/boot');
const kernel = join(
  boot,
  (await readdir(boot)).find((n) => n.startsWith('vmlinuz-')),
);
const work = await mkdtemp(join(tmpdir(), 'iso-smoke-'));
try {
  const initrd = join(work, 'initrd.img');
  await writeFile(initrd, 'not really an initramfs\n');
  const iso = await assembleIso({
    output: join(work, 'smoke.iso'),
    label: 'SMOKE',
    kernel,
    initrd,
    sourceDateEpoch: 1700000000,
  });
  const inside = await inspectIso(iso.path);
  const platforms = inside.elTorito.entries.map((e) => e.platform).join(',');
  if (platforms !== 'BIOS,UEFI') throw new Error(`unexpected El Torito entries ${platforms}`);
  if (!inside.files.some((f) => f.path === '/live/vmlinuz')) throw new Error('kernel missing from the ISO');
  const bad = await assembleIso({ output: join(work, 'x.iso'), label: 'bad label', kernel, initrd }).catch((e) => e);
  if (!(bad instanceof InvalidOptionsError)) throw new Error('expected InvalidOptionsError');
  console.log(`iso-assemble ok: ${iso.size} bytes, sha256 ${iso.sha256.slice(0, 12)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
