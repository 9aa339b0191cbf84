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
  await writeFile(join(root, 'var/lib/dpkg/info/linux-image-custom:amd64.list'), '/.\n/boot\n/boot/vmlinuz-5.10.0-custom\n/lib/modules/5.10.0-custom\n');
  await writeFile(join(root, 'var/lib/dpkg/info/linux-image-amd64.list'), '/.\n/usr/share/doc/linux-image-amd64\n');
  expect((await findKernel(root)).version).toBe('6.1.0-31-amd64');
  expect((await findKernel(root, 'linux-image-custom')).version).toBe('5.10.0-custom');
  // A meta-package (no vmlinuz of its own) or an unknown package: the newest.
  expect((await findKernel(root, 'linux-image-amd64')).version).toBe('6.1.0-31-amd64');
  expect((await findKernel(root, 'nothing')).version).toBe('6.1.0-31-amd64');
  await expect(findKernel(join(root, 'var'))).rejects.toMatchObject({ code: 'ERR_KERNEL_MISSING' });
});
