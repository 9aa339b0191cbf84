import {
  assignOwners,
  openUserNamespace,
  prepareUserNamespace,
  reclaimTree,
  type OpenUserNamespace,
  type UserNamespace,
} from '@distroforge/core';
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type QemuInstance } from '@distroforge/qemu-launch';
import { makeGuest, MARKER, type Guest } from './_guest.js';

// QEMU started through a user namespace's enterCommand is root there: a 9p passthrough share shows
// the guest the owners given inside the namespace, not the host ids they are on disk.
let guest: Guest;
let ns: UserNamespace;
let open: OpenUserNamespace;
let vm: QemuInstance;
let share: string;

beforeAll(async () => {
  guest = await makeGuest();
  share = join(guest.dir, 'owned-share');
  await mkdir(share);
  await writeFile(join(share, 'secret'), 'for uid 1000 only\n');
  ns = await prepareUserNamespace();
  await assignOwners(ns, share, [{ path: 'secret', uid: 1000, gid: 100, mode: 0o600 }]);
  open = await openUserNamespace(ns);
  vm = await launch({
    kernel: guest.kernel,
    initrd: guest.initrd,
    append: guest.append,
    memory: 256,
    logDir: guest.logDir,
    runThrough: [...open.enterCommand],
    shares: [{ path: share, tag: 'owned', readOnly: true, securityModel: 'passthrough' }],
  });
}, 240_000);

afterAll(async () => {
  await vm?.kill();
  await open?.close();
  if (ns && share) await reclaimTree(ns, share);
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

describe('runThrough: QEMU started through a command prefix', () => {
  it("runs QEMU in the prefix's user namespace: the guest sees the owner given there, the host an id of the subordinate range", async () => {
    await vm.waitFor(MARKER, { timeout: 120_000 });
    const onHost = await lstat(join(share, 'secret'));
    expect(onHost.uid).not.toBe(1000);
    await vm.send(
      "mount -t 9p -o trans=virtio,ro owned /mnt && echo owner-$(stat -c '%u:%g:%a' /mnt/secret) && head -c 3 /mnt/secret && echo\n",
    );
    const owner = await vm.waitFor(/^owner-(\d+:\d+:\d+)\r?$/m, { timeout: 60_000 });
    expect(owner.groups).toEqual(['1000:100:600']);
    await vm.waitFor(/^for\r?$/m, { timeout: 30_000 });
  }, 240_000);
});
