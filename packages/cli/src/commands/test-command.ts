import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from 'citty';
import { profilePaths } from '../profile/profile-paths.js';
import { CliError } from '../errors.js';
import { formatMs } from '../output/reporter.js';
import { buildProfile, type BuildReport } from '../pipeline/build-profile.js';
import type { Reporter } from '../output/reporter.js';
import { testSchema } from '../profile/profile-schema.js';
import { imageTarget, parseFirmwares, type Firmware } from './image-target.js';
import {
  bootModes,
  buildScopeFor,
  chainDiskBoots,
  MEDIA,
  type Medium,
  type TestSection,
} from '../pipeline/boot-test.js';
import { testProfile } from '../pipeline/test-profile.js';
import type { BuildScope } from '../pipeline/build-stages.js';
import { loadProfile } from '../profile/load-profile.js';
import { outputArgs, reporterFor } from '../output/command-output.js';
import { withInterrupt } from './with-interrupt.js';
import { OutputDirectory } from '../pipeline/output-directory.js';
import { publishReport } from '../report/publish-report.js';
import { writeTestRecord } from '../report/test-record.js';

export default defineCommand({
  meta: {
    name: 'test',
    description: 'Build if needed, boot in every firmware mode the profile targets, run its test commands',
  },
  args: {
    profile: {
      type: 'positional',
      description: 'profile directory, or an ISO or GPT disk image to boot as is (default: .)',
      required: false,
      default: '.',
    },
    out: { type: 'string', alias: 'o', valueHint: 'DIR', description: 'output directory (default PROFILE/out)' },
    state: { type: 'string', valueHint: 'DIR', description: 'build state directory (default PROFILE/.distroforge)' },
    firmware: {
      type: 'string',
      valueHint: 'MODES',
      description:
        'only these firmware modes: bios, uefi, uefi-secureboot, comma-separated (an image: default bios,uefi)',
    },
    ready: {
      type: 'string',
      valueHint: 'TEXT',
      description: 'console text that means the system is up (replaces test.ready; required for an image)',
    },
    login: {
      type: 'string',
      valueHint: 'USER',
      description: 'log in as this user once ready shows (replaces test.login.user)',
    },
    timeout: {
      type: 'string',
      valueHint: 'SECONDS',
      description: 'seconds to wait for the ready text (replaces test.timeout)',
    },
    jobs: {
      type: 'string',
      valueHint: 'N',
      description: 'boots run side by side (default 1); each guest gets cores / jobs vCPUs',
      default: '1',
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
    medium: {
      type: 'string',
      valueHint: 'MEDIA',
      description:
        'only this medium: cdrom (the ISO), iso-disk (the ISO written to a disk, as on a USB stick), disk / disk-usb (the disk image on virtio / USB storage), direct (kernel + initramfs + root image on virtio), 9p or virtiofs (staging tree shared from the host: no image is built); comma-separated for several',
    },
    ...outputArgs,
  },
  async run({ args }) {
    const reporter = reporterFor(args);
    try {
      const image = await imageTarget(args.profile);
      const media = args.medium === undefined ? undefined : parseMedia(args.medium);
      // Boots from the kernel and initramfs alone build only what they read (no ISO, disk, inventory).
      const target = image
        ? await imageTestTarget(image, args)
        : await profileTestTarget(args, reporter, buildScopeFor(media));
      const { report, test, firmware, bootsDir } = target;
      const modes = await chainDiskBoots(bootModes({ firmware }, report, media), report, bootsDir);
      const verdicts = await testProfile({ report, test, modes, bootsDir, jobs: parseJobs(args.jobs), reporter });
      const ok = verdicts.every((v) => v.ok);
      // A profile's results are kept beside its build report and drawn in its HTML report.
      if (target.published) {
        const outputs = await OutputDirectory.open(target.published.outDir, target.published.profileDir);
        const record = await writeTestRecord(outputs, report, verdicts);
        const html = await publishReport(outputs, report, { test: record, stateDir: target.published.stateDir });
        if (!args.json) reporter.say(`report: ${html.file}`);
      }
      if (args.json)
        process.stdout.write(
          `${JSON.stringify({ type: 'result', ok, profile: report.profile, build: report, boots: verdicts })}\n`,
        );
      else
        reporter.say(
          `${ok ? 'PASS' : 'FAIL'} ${report.profile}: ${verdicts.map((v) => `${v.firmware}/${v.medium} ${v.ok ? formatMs(v.readyMs ?? 0) : 'failed'}`).join(', ')}`,
        );
      if (!ok)
        throw new CliError(
          'ERR_TEST_FAILED',
          `${verdicts.filter((v) => !v.ok).length} of ${verdicts.length} boots failed`,
          { hint: 'see the console lines above and the console log' },
        );
      // An image's boots live in a temp folder: kept (console logs) only when a boot failed.
      if (image) await rm(bootsDir, { recursive: true, force: true });
      return 0;
    } finally {
      await reporter.close();
    }
  },
});

interface TestArgs {
  profile: string;
  allowRollback?: boolean | undefined;
  release?: boolean | undefined;
  out?: string | undefined;
  state?: string | undefined;
  firmware?: string | undefined;
  ready?: string | undefined;
  login?: string | undefined;
  timeout?: string | undefined;
}

interface TestTarget {
  report: BuildReport;
  test: TestSection;
  firmware: readonly Firmware[];
  bootsDir: string;
  /** Where a profile's build published its outputs (the test record and report go there too); none for an image. */
  published?: { outDir: string; profileDir: string; stateDir: string };
}

/** A profile: built (or taken from the cache), its test section with the command line's replacements, its firmware. */
async function profileTestTarget(args: TestArgs, reporter: Reporter, only?: BuildScope): Promise<TestTarget> {
  const loaded = await loadProfile(args.profile);
  const given = loaded.profile.test;
  if (!given && args.ready === undefined) {
    throw new CliError('ERR_PROFILE_INVALID', `${loaded.profileFile}: the profile has no test section`, {
      path: loaded.profileFile,
      hint: 'add test: { ready: "<text printed when the system is up>" }, or pass --ready',
    });
  }
  const test = testSection(given, args);
  let firmware: readonly Firmware[] = loaded.profile.firmware;
  if (args.firmware !== undefined) {
    const wanted = parseFirmwares(args.firmware);
    const foreign = wanted.filter((f) => !loaded.profile.firmware.includes(f));
    if (foreign.length)
      throw new CliError('ERR_USAGE', `the profile does not target firmware ${foreign.join(', ')}`, {
        value: foreign,
        hint: `profile firmware: ${loaded.profile.firmware.join(', ')}`,
      });
    firmware = wanted;
  }
  const report = await withInterrupt((signal) =>
    buildProfile({
      profile: args.profile,
      reporter,
      signal,
      allowRollback: args.allowRollback === true,
      release: args.release === true,
      ...(only ? { only } : {}),
      ...(args.out ? { out: args.out } : {}),
      ...(args.state ? { state: args.state } : {}),
    }),
  );
  const paths = profilePaths(args.profile, {
    ...(args.state ? { state: args.state } : {}),
    ...(args.out ? { out: args.out } : {}),
  });
  return {
    report,
    test,
    firmware,
    bootsDir: join(paths.stateDir, 'boots'),
    published: { outDir: paths.outDir, profileDir: paths.profileDir, stateDir: paths.stateDir },
  };
}

/** An ISO or disk image booted as is: the test section comes from the command line alone. */
async function imageTestTarget(report: BuildReport, args: TestArgs): Promise<TestTarget> {
  if (args.ready === undefined)
    throw new CliError(
      'ERR_USAGE',
      `testing an image needs --ready TEXT (what the console prints once ${report.profile} is up)`,
      { hint: 'e.g. --ready "login:" --login root' },
    );
  return {
    report,
    test: testSection(undefined, args),
    firmware: parseFirmwares(args.firmware ?? 'bios,uefi'),
    bootsDir: await mkdtemp(join(tmpdir(), 'distroforge-test-')),
  };
}

/** The profile's test section (or none) with --ready, --login and --timeout replacing its fields. */
function testSection(given: TestSection | undefined, args: TestArgs): TestSection {
  const timeout = args.timeout === undefined ? undefined : Number(args.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
    throw new CliError(
      'ERR_USAGE',
      `--timeout must be a positive number of seconds, not ${JSON.stringify(args.timeout)}`,
      { value: args.timeout },
    );
  return testSchema.parse({
    ...given,
    ...(args.ready === undefined ? {} : { ready: args.ready }),
    ...(args.login === undefined ? {} : { login: { ...given?.login, user: args.login } }),
    ...(timeout === undefined ? {} : { timeout }),
  });
}

function parseMedia(value: string): Medium[] {
  return value.split(',').map((m) => {
    if (!(MEDIA as readonly string[]).includes(m)) {
      throw new CliError('ERR_USAGE', `unknown medium ${JSON.stringify(m)}`, {
        value: m,
        hint: `use ${MEDIA.join(', ')}`,
      });
    }
    return m as Medium;
  });
}

function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
    throw new CliError('ERR_USAGE', `--jobs must be a whole number from 1 to 16, not ${JSON.stringify(value)}`, {
      value,
    });
  return jobs;
}
