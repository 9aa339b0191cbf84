import { defineCommand } from 'citty';
import { cleanProfile } from './clean.js';
import { profilePaths } from '../profile/profile-paths.js';

export default defineCommand({
  meta: {
    name: 'clean',
    description:
      'Remove the build state and the files builds published (nothing else in the output directory), undoing mounts left by an interrupted build',
  },
  args: {
    profile: { type: 'positional', description: 'profile directory', required: false, default: '.' },
    out: { type: 'string', alias: 'o', valueHint: 'DIR', description: 'output directory (default PROFILE/out)' },
    keepOutputs: {
      type: 'boolean',
      description: 'keep the published outputs, remove only the build state',
      default: false,
    },
    json: { type: 'boolean', description: 'print what was removed and unmounted as JSON on stdout', default: false },
  },
  async run({ args }) {
    const paths = profilePaths(args.profile, { out: args.out });
    const result = await cleanProfile({
      profileDir: paths.profileDir,
      stateDir: paths.stateDir,
      outDir: args.keepOutputs ? undefined : paths.outDir,
    });
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `removed ${result.removed.length ? result.removed.join(', ') : 'nothing'}${result.unmounted.length ? `; unmounted ${result.unmounted.join(', ')}` : ''}\n`,
      );
    return 0;
  },
});
