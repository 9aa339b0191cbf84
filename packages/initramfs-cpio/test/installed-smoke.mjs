// Run from a fresh project where the packed tarball is installed: imports the package by name and
// uses it for real (writer, compression, reader, the gen_init_cpio spec path). Exit 0 = fine.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCpio, packCpio, writeCpio } from '@distroforge/initramfs-cpio';

const work = await mkdtemp(join(tmpdir(), 'initramfs-cpio-smoke-'));
try {
  await writeFile(join(work, 'hello'), 'hello\n');
  await writeFile(
    join(work, 'spec'),
    'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\nfile /hello hello 0755 0 0\nslink /sh hello 0777 0 0\n',
  );
  const output = join(work, 'out.img');
  await packCpio({ input: { spec: join(work, 'spec') }, output, compress: 'gzip', sourceDateEpoch: 0 });
  const names = (await listCpio(output)).map((e) => `${e.type}:${e.name}`).join(' ');
  if (names !== 'dir:dev char:dev/console file:hello symlink:sh') throw new Error(`unexpected listing: ${names}`);
  const chunks = [];
  for await (const chunk of writeCpio([{ path: 'x', type: 'file', mode: 0o644, data: 'x' }], { sourceDateEpoch: 0 }))
    chunks.push(chunk);
  const archive = Buffer.concat(chunks);
  if (archive.length !== 512 || !archive.subarray(0, 6).equals(Buffer.from('070701'))) throw new Error('bad archive');
  if ((await readFile(output)).subarray(0, 2).toString('hex') !== '1f8b') throw new Error('not gzip');
  console.log('initramfs-cpio smoke ok');
} finally {
  await rm(work, { recursive: true, force: true });
}
