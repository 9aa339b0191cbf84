import { defineCommand } from 'citty';
import { loadProfile } from '../profile/load-profile.js';
import { resolveLock, writeLock } from '../pipeline/lock-file.js';

export default defineCommand({
  meta: { name: 'lock', description: 'Resolve the profile\u2019s packages (verified, nothing installed) and write distroforge.lock' },
  args: {
    profile: { type: 'positional', description: 'profile directory (default: .)', required: false, default: '.' },
    json: { type: 'boolean', default: false },
  },
  async run({ args }) {
    const loaded = await loadProfile(args.profile);
    const lock = await resolveLock(loaded);
    const file = await writeLock(loaded.dir, lock);
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', file, packages: lock.packages.length })}\n`);
    else process.stdout.write(`wrote ${file}: ${lock.packages.length} packages (${lock.suite}/${lock.variant}, ${lock.architecture})\n`);
    return 0;
  },
});
