import { defineCommand } from 'citty';
import { launch } from '@distroforge/qemu-launch';
import { DistroforgeError } from '@distroforge/core';
import { buildProfile } from '../pipeline/build-profile.js';
import { reporterFor } from '../main.js';

export default defineCommand({
  meta: { name: 'run', description: 'Build if needed and boot the image interactively (serial console on this terminal; Ctrl-] quits)' },
  args: {
    profile: { type: 'positional', description: 'profile directory (default: .)', required: false, default: '.' },
    direct: { type: 'boolean', description: 'boot kernel + initramfs directly (root image as a virtio disk): the fast dev loop', default: false },
    share: { type: 'boolean', description: 'boot kernel + initramfs with the staging tree shared over 9p: no image needed', default: false },
    firmware: { type: 'string', description: 'bios (default) or uefi', default: 'bios' },
    gui: { type: 'boolean', description: 'open a QEMU window as well', default: false },
    memory: { type: 'string', description: 'guest memory in MiB', default: '1024' },
    out: { type: 'string', description: 'output directory (default PROFILE/out)' },
    verbose: { type: 'boolean', default: false },
  },
  async run({ args }) {
    const reporter = reporterFor({ verbose: args.verbose });
    const report = await buildProfile({ profile: args.profile, reporter, ...(args.out ? { out: args.out } : {}) }).finally(() => reporter.close());
    const iso = report.outputs.find((o) => o.kind === 'iso')?.file;
    const direct = args.direct || !iso;
    if (direct && !report.direct) throw new DistroforgeError('ERR_USAGE', 'this build has no kernel/initramfs to boot directly');
    if (args.firmware !== 'bios' && args.firmware !== 'uefi') throw new DistroforgeError('ERR_USAGE', `unknown firmware ${args.firmware}`, { hint: 'use bios or uefi' });
    const d = report.direct;
    const instance = await launch({
      memory: Number(args.memory),
      cpus: 2,
      firmware: args.firmware,
      display: args.gui ? 'gtk' : 'none',
      network: { model: 'virtio-net-pci', hostfwd: [] },
      ...(args.share && d?.stagingRoot
        ? {
            kernel: d.kernel,
            initrd: d.initrd,
            append: `${d.append.replace(/ ?live\.(device|image)=\S*/g, '')} live.root=9p live.tag=rootfs`,
            shares: [{ path: d.stagingRoot, tag: 'rootfs', type: '9p' as const, readOnly: true, securityModel: process.getuid?.() === 0 ? ('passthrough' as const) : ('none' as const) }],
          }
        : direct && d
          ? { kernel: d.kernel, initrd: d.initrd, append: d.append, ...(d.rootImage ? { disks: [{ path: d.rootImage, readOnly: true, format: 'raw' as const }] } : {}) }
          : { iso }),
    });
    process.stderr.write(`distroforge: QEMU (${instance.accel}) started; console log ${instance.logFile}; Ctrl-] quits\n`);
    instance.console.pipe(process.stdout);
    const stdin = process.stdin;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x1d)) void instance.kill();
      else void instance.send(chunk).catch(() => undefined);
    });
    const exit = await instance.exited;
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write(`\ndistroforge: QEMU exited (${JSON.stringify(exit)})\n`);
    return 0;
  },
});
