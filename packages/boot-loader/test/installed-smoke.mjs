// Run from a fresh project where the packed tarball is installed (see e2e/packed-packages.test.ts):
// builds a UEFI ESP with our GRUB and a menu, checks Debian's Secure Boot pieces against the kernel
// in DISTROFORGE_REPO/.cache/kernel, and refuses an ESP file given twice.
import {
  buildEspImage,
  checkSecureBootFiles,
  debianBootFiles,
  defaultMenuEntries,
  InvalidOptionsError,
  renderGrubMenu,
  renderSearchConfig,
  uefiBootFiles,
} from '@distroforge/boot-loader';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = process.env.DISTROFORGE_REPO;
if (!repo) throw new Error('set DISTROFORGE_REPO to the repository root');
const boot = join(repo, '.cache/kernel/current/boot');
const kernel = join(
  boot,
  (await readdir(boot)).find((n) => n.startsWith('vmlinuz-')),
);
const work = await mkdtemp(join(tmpdir(), 'boot-loader-smoke-'));
try {
  const logFile = join(work, 'boot.log');
  const findBootFiles = renderSearchConfig('SMOKE', { configfile: false });
  const files = await uefiBootFiles({
    secureBoot: false,
    findBootFiles,
    mokManager: false,
    locations: debianBootFiles,
    workDir: work,
    logFile,
  });
  const menu = renderGrubMenu({
    entries: defaultMenuEntries('Smoke', ['live.copytoram']),
    defaultEntry: 'live',
    timeout: 0,
    serial: false,
    kernel: '/vmlinuz',
    initrd: '/initrd.img',
    kernelArgs: [],
  });
  const esp = await buildEspImage({
    output: join(work, 'esp.img'),
    files: [...files, { path: '/boot/grub/grub.cfg', content: menu }],
    sourceDateEpoch: 1700000000,
    logFile,
  });
  if (esp.size < 1024 * 1024) throw new Error(`unexpected ESP size ${esp.size}`);
  await checkSecureBootFiles({ kernel, locations: debianBootFiles, mokManager: true, logFile });
  const twice = await buildEspImage({
    output: join(work, 'x.img'),
    files: [
      { path: '/a', content: 'x' },
      { path: '/a', content: 'y' },
    ],
    sourceDateEpoch: 1700000000,
    logFile,
  }).catch((e) => e);
  if (!(twice instanceof InvalidOptionsError)) throw new Error('expected InvalidOptionsError');
  console.log(`boot-loader ok: ESP ${esp.size} bytes, serial ${esp.serial.toString(16)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
