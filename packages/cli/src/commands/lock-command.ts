import { defineCommand } from 'citty';
import { loadProfile } from '../profile/load-profile.js';
import { lockedReleases, resolveLock, writeLock } from '../pipeline/lock-file.js';
import { aptMetadataOptions, MetadataFloor } from '../pipeline/metadata-floor.js';

export default defineCommand({
  meta: {
    name: 'lock',
    description: 'Resolve the profile\u2019s packages (verified, nothing installed) and write distroforge.lock',
  },
  args: {
    profile: { type: 'positional', description: 'profile directory (default: .)', required: false, default: '.' },
    json: {
      type: 'boolean',
      description: 'print the result (the lock file and its package count) as JSON on stdout',
      default: false,
    },
    allowRollback: {
      type: 'boolean',
      description:
        'accept package metadata older than the current distroforge.lock\u2019s (an older mirror snapshot on purpose)',
      default: false,
    },
  },
  async run({ args }) {
    const loaded = await loadProfile(args.profile);
    // A new lock never goes back to older Releases than the one it replaces, unless asked.
    const floor = await MetadataFloor.load(undefined);
    const lock = await resolveLock(
      loaded,
      aptMetadataOptions({ floor, lockReleases: await lockedReleases(loaded.dir), allowRollback: args.allowRollback }),
    );
    const file = await writeLock(loaded.dir, lock);
    if (args.json)
      process.stdout.write(`${JSON.stringify({ type: 'result', file, packages: lock.packages.length })}\n`);
    else
      process.stdout.write(
        `wrote ${file}: ${lock.packages.length} packages (${'source' in lock ? lock.repositories.join(', ') : `${lock.suite}/${lock.variant}`}, ${lock.architecture})\n`,
      );
    return 0;
  },
});
