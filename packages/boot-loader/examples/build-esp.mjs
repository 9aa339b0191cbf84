// Build a UEFI ESP (FAT image) that boots a kernel through GRUB, once with our own GRUB and once
// with Debian's signed shim + GRUB for Secure Boot, then run the Secure Boot checks.
// Usage: node build-esp.mjs VMLINUZ INITRD
import {
  buildEspImage,
  checkSecureBootFiles,
  debianBootFiles,
  defaultMenuEntries,
  renderGrubMenu,
  renderSearchConfig,
  uefiBootFiles,
} from '@distroforge/boot-loader';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const [kernel, initrd] = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), 'boot-loader-example-'));
const logFile = join(work, 'boot.log');
// GRUB finds the ESP by its FAT label and reads the menu from /grub.
const findBootFiles = renderSearchConfig('MYESP', { configfile: false, grubDir: '/grub' });
process.stdout.write(findBootFiles);
const menu = renderGrubMenu({
  entries: defaultMenuEntries('My system', ['live.copytoram']),
  defaultEntry: 'live',
  timeout: 3,
  serial: { unit: 0, speed: 115200 },
  kernel: '/vmlinuz',
  initrd: '/initrd.img',
  kernelArgs: ['console=ttyS0'],
});

const sha256 = async (file) => createHash('sha256').update(await readFile(file)).digest('hex');
for (const secureBoot of [false, true]) {
  const boot = await uefiBootFiles({ secureBoot, findBootFiles, mokManager: true, locations: debianBootFiles, workDir: work, logFile });
  const files = [...boot, { path: '/grub/grub.cfg', content: menu }, { path: '/vmlinuz', source: kernel }, { path: '/initrd.img', source: initrd }];
  const options = { files, sourceDateEpoch: 1700000000, volumeLabel: 'MYESP', logFile };
  const esp = await buildEspImage({ ...options, output: join(work, 'esp.img') });
  const again = await buildEspImage({ ...options, output: join(work, 'again.img') });
  console.log(secureBoot ? 'Secure Boot ESP:' : 'ESP:');
  const from = (f) => (f.source === kernel ? 'VMLINUZ' : f.source === initrd ? 'INITRD' : f.source ? basename(f.source) : `${Buffer.byteLength(f.content)} bytes`);
  for (const f of files) console.log(`  ${f.path} <- ${from(f)}`);
  console.log(`  rebuilt byte-identical: ${(await sha256(esp.path)) === (await sha256(again.path))}`);
}

// Throws unless shim, signed GRUB and MokManager are installed, the kernel is signed and shim's SBAT
// level accepts the signed GRUB; returns the SBAT records it compared.
const sbat = await checkSecureBootFiles({ kernel, locations: debianBootFiles, mokManager: true, logFile });
console.log(`Secure Boot check passed, SBAT components of GRUB include grub: ${sbat.grub.some((e) => e.component === 'grub')}`);
// Our own GRUB image is not signed: as a kernel it is refused.
const unsigned = await checkSecureBootFiles({ kernel: join(work, 'bootx64.efi'), locations: debianBootFiles, mokManager: true, logFile }).catch((e) => e);
console.log(`unsigned kernel: ${unsigned.code} (${unsigned.hint})`);
await rm(work, { recursive: true });
