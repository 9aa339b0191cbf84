import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from 'citty';
import { profilePaths } from './profile-paths.js';
import { DistroforgeError } from '@distroforge/core';
import { formatMs } from '../output/reporter.js';
import { buildProfile } from '../pipeline/build-profile.js';
import { bootAndCheck, bootModes, chainDiskBoots, MEDIA, type BootMode, type BootVerdict, type Medium } from '../pipeline/boot-test.js';
import { loadProfile } from '../profile/load-profile.js';
import { outputArgs, reporterFor } from '../main.js';
import { withInterrupt } from './with-interrupt.js';

export default defineCommand({
  meta: { name: 'test', description: 'Build if needed, boot in every firmware mode the profile targets, run its test commands' },
  args: {
    profile: { type: 'positional', description: 'profile directory (default: .)', required: false, default: '.' },
    out: { type: 'string', description: 'output directory (default PROFILE/out)' },
    state: { type: 'string', description: 'build state directory (default PROFILE/.distroforge)' },
    firmware: { type: 'string', description: 'only this firmware: bios, uefi or uefi-secureboot' },
    jobs: { type: 'string', description: 'boots run side by side (default 1); each guest gets cores / jobs vCPUs', default: '1' },
    medium: {
      type: 'string',
      description: 'only this medium: cdrom (the ISO), iso-disk (the ISO written to a disk, as on a USB stick), disk / disk-usb (the disk image on virtio / USB storage), direct (kernel + initramfs + root image on virtio) or 9p (staging tree shared from the host); comma-separated for several',
    },
    ...outputArgs,
  },
  async run({ args }) {
    const reporter = reporterFor(args);
    try {
      const loaded = await loadProfile(args.profile);
      const test = loaded.profile.test;
      if (!test) {
        throw new DistroforgeError('ERR_PROFILE_INVALID', `${loaded.profileFile}: the profile has no test section`, {
          path: loaded.profileFile,
          hint: 'add test: { ready: "<text printed when the system is up>" }',
        });
      }
      const report = await withInterrupt((signal) =>
        buildProfile({ profile: args.profile, reporter, signal, ...(args.out ? { out: args.out } : {}), ...(args.state ? { state: args.state } : {}) }),
      );
      const media = args.medium === undefined ? undefined : parseMedia(args.medium);
      let modes: BootMode[] = bootModes(loaded.profile, report, media);
      if (args.firmware) modes = modes.filter((m) => m.firmware === args.firmware || m.medium === 'direct' || m.medium === '9p');
      const bootsDir = join(profilePaths(args.profile, { ...(args.state ? { state: args.state } : {}) }).stateDir, 'boots');
      modes = await chainDiskBoots(modes, report, bootsDir);
      if (modes.length === 0) throw new DistroforgeError('ERR_USAGE', `the profile does not target firmware ${args.firmware}`, { hint: `profile firmware: ${loaded.profile.firmware.join(', ')}` });
      const jobs = parseJobs(args.jobs);
      // Each guest gets its share of the host's cores: TCG runs a thread per vCPU.
      const cpus = Math.max(1, Math.floor(availableParallelism() / jobs));
      const verdicts: BootVerdict[] = new Array(modes.length);
      const bootOne = async (index: number) => {
        const mode = modes[index] as BootMode;
        const name = `boot ${mode.firmware}/${mode.medium}`;
        reporter.emit({ type: 'stage-start', stage: name });
        const started = performance.now();
        const verdict = await bootAndCheck(mode, report, test, bootsDir, { cpus });
        verdicts[index] = verdict;
        reporter.emit({
          type: 'stage-end',
          stage: name,
          cached: false,
          failed: !verdict.ok,
          ms: performance.now() - started,
          detail: verdict.ok
            ? `ready in ${formatMs(verdict.readyMs ?? 0)} (${verdict.accel}), ${verdict.commands.length} checks passed${verdict.persistence ? `, persistence ${verdict.persistence}` : ''}`
            : 'FAILED',
        });
        if (!verdict.ok) {
          reporter.say(`FAIL ${name}: ${verdict.error ?? 'a check failed'}`);
          for (const c of verdict.commands.filter((c) => !c.ok)) reporter.say(`  check "${c.run}" expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(c.output.slice(0, 200))}`);
          for (const line of verdict.lastLines ?? []) reporter.say(`  | ${line}`);
          if (verdict.consoleLog) reporter.say(`  console log: ${verdict.consoleLog}`);
        }
      };
      // Chained disk boots (write, then check on the same copy) stay in order; chains run `jobs` at a time.
      const chains = bootChains(modes);
      let next = 0;
      const worker = async () => {
        while (next < chains.length) {
          const chain = chains[next++] as number[];
          for (const index of chain) await bootOne(index);
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, chains.length) }, worker));
      const ok = verdicts.every((v) => v.ok);
      if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ok, profile: report.profile, build: report, boots: verdicts })}\n`);
      else reporter.say(`${ok ? 'PASS' : 'FAIL'} ${report.profile}: ${verdicts.map((v) => `${v.firmware}/${v.medium} ${v.ok ? formatMs(v.readyMs ?? 0) : 'failed'}`).join(', ')}`);
      if (!ok) throw new DistroforgeError('ERR_TEST_FAILED', `${verdicts.filter((v) => !v.ok).length} of ${verdicts.length} boots failed`, { hint: 'see the console lines above and the console log' });
      return 0;
    } finally {
      await reporter.close();
    }
  },
});

function parseMedia(value: string): Medium[] {
  return value.split(',').map((m) => {
    if (!(MEDIA as readonly string[]).includes(m)) {
      throw new DistroforgeError('ERR_USAGE', `unknown medium ${JSON.stringify(m)}`, { value: m, hint: `use ${MEDIA.join(', ')}` });
    }
    return m as Medium;
  });
}

function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new DistroforgeError('ERR_USAGE', `--jobs must be a whole number from 1 to 16, not ${JSON.stringify(value)}`, { value });
  return jobs;
}

/** Groups boot indices: a persistence pair (write, then check on the same image) is one chain. */
export function bootChains(modes: readonly BootMode[]): number[][] {
  const chains: number[][] = [];
  const byImage = new Map<string, number[]>();
  for (const [index, mode] of modes.entries()) {
    const image = mode.persist?.image;
    const chain = image ? byImage.get(image) : undefined;
    if (chain) chain.push(index);
    else {
      const fresh = [index];
      chains.push(fresh);
      if (image) byImage.set(image, fresh);
    }
  }
  return chains;
}
