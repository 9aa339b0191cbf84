// Run from a fresh project where the packed tarball is installed: imports the package by name and
// boots Debian's kernel (no initrd) until it prints its version, then quits QEMU.
import { launch, buildQemuArgs, resolveLaunchOptions } from '@distroforge/qemu-launch';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const repo = process.env.DISTROFORGE_REPO;
if (!repo) throw new Error('set DISTROFORGE_REPO to the repository root');
const boot = join(repo, '.cache/kernel/current/boot');
const vmlinuz = readdirSync(boot).find((name) => name.startsWith('vmlinuz-'));
if (!vmlinuz) throw new Error(`no kernel in ${boot}: run tools/fetch-kernel`);

const args = buildQemuArgs(resolveLaunchOptions({ kernel: '/k' }), { accel: 'tcg', qmpSocket: '/s' });
if (!args.includes('-kernel')) throw new Error('buildQemuArgs lost -kernel');

const vm = await launch({
  kernel: join(boot, vmlinuz),
  append: 'console=ttyS0 earlyprintk=ttyS0',
  accel: 'tcg',
  memory: 128,
});
try {
  const found = await vm.waitFor(/Linux version \S+/, { timeout: 120_000 });
  console.log(`${found.match} after ${found.elapsedMs} ms (${vm.accel})`);
} finally {
  await vm.shutdown({ skipPowerdown: true });
}
