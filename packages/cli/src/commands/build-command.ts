import { defineCommand } from 'citty';
import { formatMs } from '../output/reporter.js';
import { buildProfile } from '../pipeline/build-profile.js';
import { checkReproducible } from '../pipeline/check-reproducible.js';
import { outputArgs, reporterFor } from '../output/command-output.js';
import { withInterrupt } from './with-interrupt.js';
import { join } from 'node:path';
import { profilePaths } from '../profile/profile-paths.js';
import { reportName } from '../report/write-report.js';

export default defineCommand({
  meta: { name: 'build', description: 'Build the outputs of a profile (cached: only changed stages run again)' },
  args: {
    profile: { type: 'positional', description: 'profile directory (default: .)', required: false, default: '.' },
    out: { type: 'string', alias: 'o', valueHint: 'DIR', description: 'output directory (default PROFILE/out)' },
    state: { type: 'string', valueHint: 'DIR', description: 'build state directory (default PROFILE/.distroforge)' },
    check: {
      type: 'boolean',
      description: 'build a second time from scratch in a separate directory and compare the outputs byte for byte',
      default: false,
    },
    locked: {
      type: 'boolean',
      description: 'fail unless the packages resolve exactly as distroforge.lock says',
      default: false,
    },
    allowRollback: {
      type: 'boolean',
      description:
        'accept package metadata older than distroforge.lock\u2019s or the last build\u2019s (an older mirror snapshot on purpose)',
      default: false,
    },
    release: {
      type: 'boolean',
      description:
        'the release preset: the smallest root image (squashfs zstd 15) where the profile sets no image.level; default: the development preset (zstd 1, fastest build)',
      default: false,
    },
    ...outputArgs,
  },
  async run({ args }) {
    const reporter = reporterFor(args);
    try {
      const options = {
        profile: args.profile,
        reporter,
        locked: args.locked,
        allowRollback: args.allowRollback,
        release: args.release,
        ...(args.out ? { out: args.out } : {}),
        ...(args.state ? { state: args.state } : {}),
      };
      const report = await withInterrupt(async (signal) => {
        if (!args.check) return buildProfile({ ...options, signal });
        const checked = await checkReproducible({ ...options, signal });
        reporter.say(`reproducible: a second build from scratch gave the same ${checked.first.outputs.length} outputs`);
        return checked.first;
      });
      if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...report })}\n`);
      else {
        for (const o of report.outputs)
          reporter.say(`${o.file}  ${(o.bytes / 1048576).toFixed(1)} MiB  sha256:${o.sha256.slice(0, 16)}…`);
        reporter.say(
          `report: ${join(profilePaths(args.profile, args.out ? { out: args.out } : {}).outDir, reportName(report.profile))}`,
        );
        const cached = report.stages.filter((s) => s.cached).length;
        reporter.say(
          `built ${report.profile} in ${formatMs(report.totalMs)} (${cached}/${report.stages.length} stages cached)`,
        );
      }
      return 0;
    } finally {
      await reporter.close();
    }
  },
});
