import { execa } from 'execa';
import { mkdir, mkdtemp, symlink, utimes, writeFile, link, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(prefix = 'icpio-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A small tree with every type a non-root user can create, fixed mtimes, odd names. */
export async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'etc/sub'), { recursive: true });
  await mkdir(join(root, 'a-b'), { recursive: true });
  await writeFile(join(root, 'bin/tool'), '#!/bin/sh\necho tool\n');
  await chmod(join(root, 'bin/tool'), 0o4755);
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  await writeFile(join(root, 'etc/empty'), '');
  await writeFile(join(root, 'etc/sub/three'), 'abc');
  await writeFile(join(root, 'a-b/data'), Buffer.alloc(70_000, 7));
  await writeFile(join(root, 'zz-unicodé-日本'), 'ünïcødé\n');
  await writeFile(join(root, `${'l'.repeat(200)}`), 'long\n');
  await link(join(root, 'etc/hosts'), join(root, 'hosts-link'));
  await link(join(root, 'etc/hosts'), join(root, 'bin/hosts-link2'));
  await symlink('../etc/hosts', join(root, 'bin/hosts-sym'));
  await symlink('/nonexistent/target', join(root, 'dangling'));
  await execa('mkfifo', [join(root, 'etc/fifo')]);
  const when = new Date(1_600_000_000_000);
  for (const p of [
    'bin/tool',
    'etc/hosts',
    'etc/empty',
    'etc/sub/three',
    'a-b/data',
    'zz-unicodé-日本',
    'l'.repeat(200),
    'etc/fifo',
    'etc/sub',
    'etc',
    'bin',
    'a-b',
    '.',
  ]) {
    await utimes(join(root, p), when, when);
  }
  await execa('touch', [
    '-h',
    '-d',
    '@1600000000',
    join(root, 'bin/hosts-sym'),
    join(root, 'dangling'),
    join(root, 'bin'),
  ]);
}

/** Sorted relative paths of a tree, as `find . | LC_ALL=C sort` without the `./` prefix. */
export async function sortedFileList(root: string): Promise<string> {
  const { stdout } = await execa('sh', ['-c', "find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort"], { cwd: root });
  return `.\n${stdout}\n`;
}

export async function gnuCpio(root: string, output: string): Promise<void> {
  const list = await sortedFileList(root);
  await execa('sh', ['-c', `cpio -o -H newc --reproducible --quiet > '${output}'`], { cwd: root, input: list });
}

export async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}
