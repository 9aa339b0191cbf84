// Build a GPT disk image (BIOS + UEFI GRUB, ESP with the kernel, ext4 root from a directory),
// then read its partition table back. Usage: node build-and-inspect.mjs VMLINUZ INITRD
import { assembleDisk, formatInspection, inspectDisk } from '@distroforge/disk-assemble';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [kernel, initrd] = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), 'disk-example-'));
const root = join(work, 'root');
await mkdir(join(root, 'etc'), { recursive: true });
await writeFile(join(root, 'etc/hostname'), 'example\n');
await writeFile(join(root, 'etc/shadow'), 'root:*:19000::::::\n');

const options = {
  output: join(work, 'disk.img'),
  root: {
    directory: root,
    // Owners and modes a non-root build cannot set on disk, and a device node.
    manifest: {
      format: 'distroforge-manifest',
      version: 1,
      entries: [
        { path: '/dev', type: 'dir', mode: 0o755 },
        { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
        { path: '/etc/shadow', gid: 42, mode: 0o640 },
      ],
    },
  },
  kernel,
  initrd,
  kernelArgs: 'console=ttyS0',
  size: 256 * 1024 * 1024,
  extraPartitions: [{ name: 'swap', type: 'swap', size: 32 * 1024 * 1024 }],
  seed: 'example-disk',
  sourceDateEpoch: 1700000000,
};
const disk = await assembleDisk(options);
console.log(`kernel command line: ${disk.kernelArgs.join(' ')}`);
const table = formatInspection(await inspectDisk(disk.path));
console.log(table.replace(disk.path, 'disk.img').trimEnd());

const again = await assembleDisk({ ...options, output: join(work, 'again.img') });
console.log(`rebuilt byte-identical: ${again.sha256 === disk.sha256}`);
await rm(work, { recursive: true });
