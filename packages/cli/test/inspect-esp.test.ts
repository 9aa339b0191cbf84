// readEsp (inspect of an ISO's or a disk's EFI system partition): each file's size is its bytes,
// also when its last byte is a newline (execa strips one from captured output by default).
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readEsp } from '../src/commands/inspect/esp.js';

const work = await mkdtemp(join(tmpdir(), 'df-inspect-esp-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('lists every file of a FAT image at an offset with its exact size, a trailing newline included', async () => {
  // A FAT filesystem made alone, then placed 1 MiB into the image (as in a disk's ESP partition).
  const fat = join(work, 'fat.img');
  await execa('truncate', ['-s', '8M', fat]);
  const env = { MTOOLS_SKIP_CHECK: '1' };
  await execa('mformat', ['-i', fat, '::'], { env });
  await execa('mmd', ['-i', fat, '::/EFI'], { env });
  const files = {
    'grub.cfg': 'set timeout=0\n',
    'no-newline.bin': Buffer.from([1, 2, 3]),
    'lf.bin': Buffer.from([0, 10]),
  };
  for (const [name, data] of Object.entries(files)) {
    await writeFile(join(work, name), data);
    await execa('mcopy', ['-i', fat, join(work, name), `::/EFI/${name}`], { env });
  }
  const offset = 1024 * 1024;
  const image = join(work, 'disk.img');
  await writeFile(image, Buffer.concat([Buffer.alloc(offset), await readFile(fat)]));
  const esp = await readEsp(image, offset);
  expect(esp.files).toEqual(
    Object.entries(files)
      .map(([name, data]) => ({ path: `/EFI/${name}`, size: Buffer.from(data).length }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
  );
});
