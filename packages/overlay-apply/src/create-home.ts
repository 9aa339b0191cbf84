import { readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { User } from './account-schema.js';
import type { RootWriter } from './root-writer.js';

/** As `useradd -m`: /etc/skel is copied only into a home that did not exist (the overlay may have made it). */
export async function createHome(
  writer: RootWriter,
  user: User,
  uid: number,
  gid: number,
  home: string,
): Promise<void> {
  const existed = await writer.exists(home);
  const physical = await writer.mkdirp(home, { uid, gid, mode: user.homeMode });
  writer.own(physical, { type: 'dir', uid, gid, mode: user.homeMode });
  if (user.skel && !existed) await copySkel(writer, '/etc/skel', physical, uid, gid);
  await ownTree(writer, physical, uid, gid);
}

async function copySkel(writer: RootWriter, skelDir: string, home: string, uid: number, gid: number): Promise<void> {
  const skel = await writer.resolve(skelDir);
  const stats = await writer.lstatIn(skel);
  if (!stats?.isDirectory()) return;
  const names = (await readdir(writer.host(skel))).sort();
  for (const name of names) {
    const source = posix.join(skel, name);
    const target = posix.join(home, name);
    const entry = await writer.lstatIn(source);
    if (!entry) continue;
    if (entry.isDirectory()) {
      await writer.mkdirp(target, { uid, gid, mode: entry.mode & 0o7777 });
      await copySkel(writer, source, target, uid, gid);
    } else if ((await writer.lstatIn(target)) === undefined) {
      if (entry.isSymbolicLink()) await writer.symlink(target, await readlink(writer.host(source)), { uid, gid });
      else if (entry.isFile())
        await writer.writeFile(target, (await writer.read(source)) ?? Buffer.alloc(0), {
          uid,
          gid,
          mode: entry.mode & 0o7777,
        });
    }
  }
}

/** Everything under a home we manage belongs to its user (modes as on disk). */
async function ownTree(writer: RootWriter, dir: string, uid: number, gid: number): Promise<void> {
  const entries = await readdir(writer.host(dir), { withFileTypes: true });
  for (const entry of entries) {
    const path = posix.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      writer.own(path, { type: 'symlink', uid, gid });
      continue;
    }
    const stats = await writer.lstatIn(path);
    if (!stats) continue;
    writer.own(path, { type: entry.isDirectory() ? 'dir' : 'file', uid, gid, mode: stats.mode & 0o7777 });
    if (entry.isDirectory()) await ownTree(writer, path, uid, gid);
  }
}
