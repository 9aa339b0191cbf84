import { defineCommand } from 'citty';
import { CliError } from '../errors.js';
import { launch } from '@distroforge/qemu-launch';

import { buildProfile } from '../pipeline/build-profile.js';
import {
  buildScopeFor,
  describeKernelBoot,
  launchOptionsFor,
  MEDIA,
  shareTreeFor,
  type BootMode,
  type Medium,
} from '../pipeline/boot-test.js';
import { reporterFor } from '../output/command-output.js';
import { imageTarget } from './image-target.js';

export default defineCommand({
  meta: {
    name: 'run',
    description: 'Build if needed and boot the image interactively (serial console on this terminal; Ctrl-] quits)',
  },
  args: {
    profile: {
      type: 'positional',
      description: 'profile directory, or an ISO or GPT disk image to boot as is (default: .)',
      required: false,
      default: '.',
    },
    medium: {
      type: 'string',
      valueHint: 'MEDIUM',
      description: `${MEDIA.join(', ')} (default: cdrom with an ISO, else disk with a disk image, else direct); disk writes are discarded`,
    },
    direct: {
      type: 'boolean',
      description:
        'boot kernel + initramfs directly (root image as a virtio disk): the fast dev loop (= --medium direct)',
      default: false,
    },
    share: {
      type: 'boolean',
      description:
        'boot kernel + initramfs with the staging tree shared over 9p: no image, ISO or disk is built (= --medium 9p)',
      default: false,
    },
    firmware: {
      type: 'string',
      valueHint: 'MODE',
      description: 'bios (default), uefi or uefi-secureboot',
      default: 'bios',
    },
    gui: { type: 'boolean', description: 'open a QEMU window as well', default: false },
    memory: { type: 'string', valueHint: 'MIB', description: 'guest memory in MiB', default: '1024' },
    out: { type: 'string', alias: 'o', valueHint: 'DIR', description: 'output directory (default PROFILE/out)' },
    release: {
      type: 'boolean',
      description:
        'the release preset: the smallest root image (squashfs zstd 15) where the profile sets no image.level; default: the development preset (zstd 1, fastest build)',
      default: false,
    },
    verbose: { type: 'boolean', description: 'stream the external tools\u2019 output', default: false },
  },
  async run({ args }) {
    const reporter = reporterFor({ verbose: args.verbose });
    // A boot from the kernel and initramfs builds only what it reads (--share: no image at all).
    const chosen = args.share ? '9p' : args.direct ? 'direct' : args.medium;
    const only = chosen !== undefined && isMedium(chosen) ? buildScopeFor([chosen]) : undefined;
    const report = await imageTarget(args.profile)
      .then(
        async (image) =>
          image ??
          buildProfile({
            profile: args.profile,
            reporter,
            release: args.release,
            ...(only ? { only } : {}),
            ...(args.out ? { out: args.out } : {}),
          }),
      )
      .finally(() => reporter.close());
    const firmware = args.firmware;
    if (firmware !== 'bios' && firmware !== 'uefi' && firmware !== 'uefi-secureboot') {
      throw new CliError('ERR_USAGE', `unknown firmware ${firmware}`, {
        value: firmware,
        hint: 'use bios, uefi or uefi-secureboot',
      });
    }
    const kinds = new Set(report.outputs.map((o) => o.kind));
    const medium = chosen ?? (kinds.has('iso') ? 'cdrom' : kinds.has('disk') ? 'disk' : 'direct');
    if (!isMedium(medium)) {
      throw new CliError('ERR_USAGE', `unknown medium ${JSON.stringify(medium)}`, {
        value: medium,
        hint: `use ${MEDIA.join(', ')}`,
      });
    }
    const mode: BootMode = { firmware, medium };
    const share = await shareTreeFor(mode, report);
    try {
      const instance = await launch({
        ...launchOptionsFor(mode, report, Number(args.memory), 2, share),
        display: args.gui ? 'gtk' : 'none',
        network: { model: 'virtio-net-pci', hostfwd: [] },
      });
      if (args.verbose && instance.kernelBoot)
        process.stderr.write(`distroforge: kernel entered through ${describeKernelBoot(instance.kernelBoot)}\n`);
      return await runInteractively(instance);
    } finally {
      await share?.release();
    }
  },
});

const isMedium = (value: string): value is Medium => (MEDIA as readonly string[]).includes(value);

/** Connects the serial console to this terminal until QEMU exits (Ctrl-] kills it). */
async function runInteractively(instance: Awaited<ReturnType<typeof launch>>): Promise<number> {
  process.stderr.write(
    `distroforge: QEMU (${instance.accel}) started; console log ${instance.logFile}; Ctrl-] quits\n`,
  );
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
}
