// Shared test fixtures: Debian's signed kernel (tools/fetch-kernel) and a tiny busybox initramfs
// written by GNU cpio, whose /init prints a marker, the firmware type and /proc/cmdline.
import { execa } from 'execa';
import { chmod, copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const marker = 'DISTROFORGE-ISO-MARKER';

/** Debian's signed vmlinuz, unpacked by tools/fetch-kernel. */
export async function debianKernel(): Promise<string> {
  const { stdout } = await execa(join(repoRoot, 'tools/fetch-kernel'), [], { timeout: 600_000 });
  const dir = stdout.trim().split('\n').pop() as string;
  const kernel = (await readdir(join(dir, 'boot'))).find((name) => name.startsWith('vmlinuz-'));
  if (!kernel) throw new Error(`no vmlinuz in ${dir}/boot`);
  return join(dir, 'boot', kernel);
}

const init = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
if [ -d /sys/firmware/efi ]; then fw=uefi; else fw=bios; fi
echo ${marker}
echo "firmware=$fw"
echo "cmdline=$(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
`;

/** A newc initramfs (GNU cpio) with Debian's static busybox and the marker-printing /init. */
export async function markerInitramfs(dir?: string): Promise<string> {
  const work = dir ?? (await mkdtemp(join(tmpdir(), 'iso-assemble-initrd-')));
  const tree = join(work, 'tree');
  for (const sub of ['bin', 'proc', 'sys', 'dev']) await mkdir(join(tree, sub), { recursive: true });
  await copyFile('/bin/busybox', join(tree, 'bin/busybox'));
  await writeFile(join(tree, 'init'), init);
  await chmod(join(tree, 'init'), 0o755);
  const { stdout: list } = await execa('find', ['.'], { cwd: tree });
  const names = list.split('\n').sort().join('\n');
  const output = join(work, 'initrd.img');
  await execa('sh', ['-c', 'cpio -o -H newc --reproducible --quiet > "$1"', 'sh', output], {
    cwd: tree,
    input: `${names}\n`,
  });
  return output;
}
