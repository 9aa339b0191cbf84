// Run from a fresh project where the packed tarballs are installed (e2e/packed-packages.test.ts).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initProfile, loadProfile, main, profileJsonSchema } from '@distroforge/cli';

const dir = join(await mkdtemp(join(tmpdir(), 'df-cli-smoke-')), 'spin');
await initProfile(dir, 'debian-live');
const loaded = await loadProfile(dir);
if (loaded.profile.name !== 'spin' || loaded.packages[0] !== 'systemd-sysv')
  throw new Error(`unexpected profile ${JSON.stringify(loaded.profile)}`);
if (!profileJsonSchema().properties) throw new Error('no JSON schema');
const code = await main(['inspect', '--help'], { stdout: { write: () => true } });
if (code !== 0) throw new Error(`inspect --help exited ${code}`);
console.log('cli ok');
