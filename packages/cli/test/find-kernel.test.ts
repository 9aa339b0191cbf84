import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findKernel } from '../src/pipeline/find-kernel.js';

it('takes the newest kernel, or the one the preferred package installed (a custom kernel.file over a newer repository kernel)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'find-kernel-'));
  for (const version of ['6.1.0-9-amd64', '6.1.0-31-amd64', '5.10.0-custom']) {
    await mkdir(join(root, 'lib/modules', version), { recursive: true });
    await mkdir(join(root, 'boot'), { recursive: true });
    await writeFile(join(root, 'boot', `vmlinuz-${version}`), '');
  }
  await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
  await writeFile(
    join(root, 'var/lib/dpkg/info/linux-image-custom:amd64.list'),
    '/.\n/boot\n/boot/vmlinuz-5.10.0-custom\n/lib/modules/5.10.0-custom\n',
  );
  await writeFile(join(root, 'var/lib/dpkg/info/linux-image-amd64.list'), '/.\n/usr/share/doc/linux-image-amd64\n');
  expect((await findKernel(root)).version).toBe('6.1.0-31-amd64');
  expect((await findKernel(root, 'linux-image-custom')).version).toBe('5.10.0-custom');
  // A meta-package (no vmlinuz of its own) or an unknown package: the newest.
  expect((await findKernel(root, 'linux-image-amd64')).version).toBe('6.1.0-31-amd64');
  expect((await findKernel(root, 'nothing')).version).toBe('6.1.0-31-amd64');
  await expect(findKernel(join(root, 'var'))).rejects.toMatchObject({ code: 'ERR_KERNEL_MISSING' });
});

it("finds Arch's layout (usr/lib/modules/V/vmlinuz, no /boot copy) and the version the named package installed, from pacman's local database", async () => {
  const root = await mkdtemp(join(tmpdir(), 'find-kernel-arch-'));
  for (const version of ['6.6.1-arch1-1', '6.6.10-lts-1']) {
    await mkdir(join(root, 'usr/lib/modules', version), { recursive: true });
    await writeFile(join(root, 'usr/lib/modules', version, 'vmlinuz'), '');
  }
  // A module folder without an image (extramodules) is not a kernel.
  await mkdir(join(root, 'usr/lib/modules/extramodules-6.6'), { recursive: true });
  const local = join(root, 'var/lib/pacman/local');
  await mkdir(join(local, 'linux-6.6.1.arch1-1'), { recursive: true });
  await writeFile(join(local, 'linux-6.6.1.arch1-1/desc'), '%NAME%\nlinux\n\n%VERSION%\n6.6.1.arch1-1\n\n');
  await writeFile(
    join(local, 'linux-6.6.1.arch1-1/files'),
    '%FILES%\nusr/\nusr/lib/\nusr/lib/modules/\nusr/lib/modules/6.6.1-arch1-1/\nusr/lib/modules/6.6.1-arch1-1/vmlinuz\n\n',
  );
  // linux-lts's entry starts with "linux-" too: its desc names another package.
  await mkdir(join(local, 'linux-lts-6.6.10-1'), { recursive: true });
  await writeFile(join(local, 'linux-lts-6.6.10-1/desc'), '%NAME%\nlinux-lts\n\n');
  await writeFile(join(local, 'linux-lts-6.6.10-1/files'), '%FILES%\nusr/lib/modules/6.6.10-lts-1/vmlinuz\n\n');
  const newest = await findKernel(root);
  expect(newest).toEqual({
    version: '6.6.10-lts-1',
    vmlinuz: join(root, 'usr/lib/modules/6.6.10-lts-1/vmlinuz'),
    modulesDir: join(root, 'usr/lib/modules/6.6.10-lts-1'),
  });
  expect((await findKernel(root, 'linux')).version).toBe('6.6.1-arch1-1');
  expect((await findKernel(root, 'linux-lts')).version).toBe('6.6.10-lts-1');
});
