import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyManifest, manifestLookup } from '@distroforge/core';
import { applyProfile } from '@distroforge/overlay-apply';

// A tiny Debian-like root (normally made by @distroforge/rootfs-bootstrap) and an airootfs/ overlay.
const root = await mkdtemp(join(tmpdir(), 'example-root-'));
const overlay = await mkdtemp(join(tmpdir(), 'example-airootfs-'));
const put = async (dir, path, text) => {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), text);
};
await put(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
await put(root, 'etc/group', 'root:x:0:\nshadow:x:42:\n');
await put(root, 'etc/shadow', 'root:*:19700:0:99999:7:::\n');
await put(root, 'etc/gshadow', 'root:*::\nshadow:*::\n');
await put(root, 'usr/lib/systemd/system/serial-getty@.service', '[Service]\nExecStart=-/sbin/agetty - $TERM\n\n[Install]\nWantedBy=getty.target\n');
await put(root, 'usr/lib/systemd/system/multi-user.target', '[Unit]\nDescription=Multi-User System\n');
await symlink('usr/lib', join(root, 'lib'));
await put(overlay, 'etc/systemd/system/hello.service', '[Service]\nExecStart=/bin/echo hello\n\n[Install]\nWantedBy=multi-user.target\n');

const profile = {
  root,
  overlay,
  manifest: emptyManifest(),
  sourceDateEpoch: 1700000000,
  hostname: 'forge-live',
  users: [{ name: 'forge', groups: ['kvm'], password: { plain: 'forge' } }],
  services: { enable: ['hello.service'], defaultTarget: 'multi-user.target' },
  autologin: { user: 'root', consoles: ['ttyS0'], enable: true },
  moduleOptions: { kvm: { ignore_msrs: 1 } },
};
const { manifest, changes } = await applyProfile(profile);
for (const change of changes) console.log(`${change.action.padEnd(9)} ${change.path}`);
console.log(JSON.stringify(manifestLookup(manifest)('/home/forge')));
console.log((await readFile(join(root, 'etc/group'), 'utf8')).trim());

const again = await applyProfile({ ...profile, manifest });
console.log(`second run: ${again.changes.length} changes`);
await rm(root, { recursive: true });
await rm(overlay, { recursive: true });
