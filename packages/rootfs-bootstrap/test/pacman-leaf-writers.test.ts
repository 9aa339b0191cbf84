import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeafWriters, WORKER_SOURCE } from '../src/pacman/install/file-writers.js';
import { MessageChannel, Worker } from 'node:worker_threads';
import { unpackPacmanPackageWith } from '../src/pacman/install/package-archive.js';
import { tarOf, type PackageMember } from './pacman-package-builder.js';

/** A hard link member (tarOf writes none): a symlink header with its type flag and checksum redone. */
function hardlink(path: string, target: string): Buffer {
  const tar = tarOf([{ path, type: 'symlink', link: target }]).subarray(0, 512);
  tar.write('1', 156);
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of tar) sum += byte;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([tar, Buffer.alloc(1024)]);
}

/** Every entry of a tree: type, mode, link target or content (what the unpack made). */
function treeOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const at = `${rel}/${name}`;
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        // A directory a later package adds to has the time of that write, not the archive's.
        out[at] = `dir ${mode} ${st.mtimeMs === 1_700_000_000_000 ? 'archive time' : 'written to later'}`;
        walk(path, at);
      } else if (st.isSymbolicLink()) out[at] = `link ${readlinkSync(path)}`;
      else out[at] = `file ${mode} ${st.mtimeMs} ino-shared:${st.nlink > 1} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(root, '');
  return out;
}

/** Unpacks the archives in order into a fresh root with `threads` writer threads; the tree, or the error (code and message) that stopped it. */
async function unpackAll(archives: readonly Buffer[], threads: number) {
  const root = mkdtempSync(join(work, `t${threads}-`));
  const writers = new LeafWriters(threads);
  const results = [];
  try {
    for (const [k, archive] of archives.entries())
      results.push(await unpackPacmanPackageWith(`pkg-${k}.pkg.tar`, root, { chown: false, archive }, writers));
  } catch (error) {
    const { code, message, value } = error as { code?: string; message: string; value?: unknown };
    return { error: { code, message: message.replaceAll(root, 'ROOT'), value } };
  } finally {
    await writers.close();
  }
  return { tree: treeOf(root), results };
}

const work = mkdtempSync(join(tmpdir(), 'pacman-leaf-writers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const many = (dir: string, count: number, size = 10): PackageMember[] =>
  Array.from({ length: count }, (_, k) => ({ path: `${dir}/f${k}`, data: `${dir} ${k} `.repeat(size) }));

// The worker threads make files and symlinks while the unpack goes on; each case must give exactly
// what the one-by-one unpack (0 threads: every write done at once, in order) gives: the same tree,
// the same results, or the same error.
const CASES: Record<string, Buffer[]> = {
  'many files in many batches, a large one, later packages sharing the directories': [
    tarOf([
      { path: 'usr/', type: 'dir' },
      { path: 'usr/lib/', type: 'dir', mode: 0o700 },
      ...many('usr/lib', 300),
      { path: 'usr/lib/large', data: Buffer.alloc(3 << 20, 'L') },
      { path: 'usr/lib/setuid', data: 's', mode: 0o4755 },
    ]),
    tarOf([{ path: 'usr/', type: 'dir', mode: 0o711 }, { path: 'usr/lib/', type: 'dir' }, ...many('usr/lib', 40, 2)]),
  ],
  'a later package replaces a file with a symlink, then writes through a directory link': [
    tarOf([
      { path: 'usr/', type: 'dir' },
      { path: 'usr/lib/', type: 'dir' },
      { path: 'usr/lib/a', data: 'a' },
      { path: 'lib', type: 'symlink', link: 'usr/lib' },
      { path: 'x', data: 'file first' },
    ]),
    tarOf([
      { path: 'lib/b', data: 'through the link' },
      { path: 'x', type: 'symlink', link: 'usr/lib' },
      { path: 'x/c', data: 'through the new link' },
    ]),
  ],
  'a file, then a directory in its place, then files in it': [
    tarOf([
      { path: 'd', data: 'was a file' },
      { path: 'd/', type: 'dir' },
      { path: 'd/x', data: 'in the directory' },
    ]),
  ],
  'a symlink replaced by a file, then a member under it (not a directory)': [
    tarOf([
      { path: 'dir/', type: 'dir' },
      { path: 's', type: 'symlink', link: 'dir' },
      { path: 's', data: 'now a file' },
      { path: 's/y', data: 'cannot be' },
    ]),
  ],
  'a file whose directory is missing, then a hostile name: the first failure wins': [
    tarOf([
      { path: 'missing/a', data: 'x' },
      { path: '../escape', data: 'y' },
    ]),
  ],
  'a file whose directory is missing, in a package after many files': [
    tarOf([{ path: 'ok/', type: 'dir' }, ...many('ok', 120), { path: 'missing/a', data: 'x' }, ...many('ok', 5)]),
  ],
  'a directory replacing nothing, a file replacing a directory (a conflict)': [
    tarOf([{ path: 'etc/', type: 'dir' }, ...many('etc', 60)]),
    tarOf([
      { path: 'etc/f3/', type: 'dir' },
      { path: 'etc', data: 'not a directory' },
    ]),
  ],
  'a hard link to a file written just before, and a file written twice in one package': [
    Buffer.concat([
      tarOf([{ path: 'bin/', type: 'dir' }, ...many('bin', 50), { path: 'bin/tool', data: 'one' }]).subarray(0, -1024),
      hardlink('bin/alias', 'bin/tool').subarray(0, -1024),
      tarOf([{ path: 'bin/f7', data: 'second copy' }]),
    ]),
  ],
};

describe('LeafWriters (files and symlinks made on worker threads)', () => {
  for (const [name, archives] of Object.entries(CASES)) {
    it(`${name}: the same as one by one`, async () => {
      const sequential = await unpackAll(archives, 0);
      const threaded = await unpackAll(archives, 2);
      expect(threaded).toEqual(sequential);
      // The case is what its name says: a tree, or an error.
      expect(Boolean(sequential.error)).toBe(/missing|not a directory|conflict/.test(name));
    });
  }

  // The bench's in-process run is `node --input-type=module -e ...`: a thread that inherited that flag
  // evaluated the code as a module, where require is missing, never started, and the unpack waited forever.
  for (const execArgv of [[], ['--input-type=module']]) {
    it(`the threads' code starts as a script and as a module (${execArgv.join(' ') || 'no flags'})`, async () => {
      const done = new Int32Array(new SharedArrayBuffer(8));
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv,
        workerData: { done, port: port2, slabBytes: 1 << 20 },
        transferList: [port2],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          const poll = setInterval(() => {
            if (Atomics.load(done, 1) === 1) {
              clearInterval(poll);
              resolve();
            }
          }, 5);
        });
        expect(Atomics.load(done, 1)).toBe(1);
      } finally {
        port1.close();
        await worker.terminate();
      }
    });
  }

  it('a failure is reported once, at the drain after it; the writers go on afterwards', async () => {
    const root = mkdtempSync(join(work, 'drain-'));
    const writers = new LeafWriters(2);
    try {
      const bad = writers.file({ kind: 'file', host: join(root, 'no/such/dir'), mode: 0o644 }, 1);
      bad.data.write(Buffer.from('x'));
      bad.data.end();
      const failure = writers.drain();
      expect(failure?.job).toBe(bad.n);
      expect(failure?.error.code).toBe('ENOENT');
      expect(writers.drain()).toBeUndefined();
      const good = writers.file({ kind: 'file', host: join(root, 'f'), mode: 0o640, mtime: 1_000_000 }, 2);
      expect(writers.isPending(join(root, 'f'))).toBe(true);
      good.data.write(Buffer.from('ok'));
      good.data.end();
      expect(writers.drain()).toBeUndefined();
      expect(writers.isPending(join(root, 'f'))).toBe(false);
      expect(readFileSync(join(root, 'f'), 'utf8')).toBe('ok');
      expect(lstatSync(join(root, 'f')).mtimeMs).toBe(1_000_000_000);
    } finally {
      await writers.close();
    }
  });
});
