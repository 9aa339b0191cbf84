#!/usr/bin/env node
// Issue 23 target: a cold build of examples/debian-live by an ordinary user within 1.1x of the same
// build by root, measured in one run, alternating (root, user, root, user) so neither side gets a
// quieter machine. Both sides keep a warm .deb cache (a first untimed build each fills it) and
// start from a fresh state directory. Prints each time, the ratio, and whether the outputs are the
// same bytes. Run as root (it creates the ordinary user, with a subordinate id range, if needed);
// needs `npm run build` first.
import { execa } from 'execa';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ordinaryUser } from '../testing/ordinary-user.mjs';

if (process.getuid() !== 0) {
  console.log("rootless-build: run as root (it compares a root build with an ordinary user's)");
  process.exit(0);
}
const repo = resolve(import.meta.dirname, '..', '..');
const user = await ordinaryUser();
const work = await mkdtemp(join(tmpdir(), 'df-bench-rootless-'));
await chmod(work, 0o755);
// The user reaches the checkout through a bind mount (a clone under /root is closed to it).
const view = join(work, 'checkout');
const rounds = Number(process.env.ROUNDS ?? 2);

async function build(who, label) {
  const profile = join(work, `${who}-${label}`, 'debian-live');
  await cp(join(repo, 'examples', 'debian-live'), profile, {
    recursive: true,
    filter: (src) => !/[/\\](\.distroforge|out)$/.test(src),
  });
  if (who === 'user') await execa('chown', ['-R', `${user.uid}:${user.gid}`, join(profile, '..')]);
  await execa('sync');
  const args = ['build', profile, '--json'];
  const command =
    who === 'root'
      ? [process.execPath, join(repo, 'packages/cli/dist/bin/cli.js'), ...args]
      : [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          'mkdir -p "$2" && mount --bind "$1" "$2" && shift 2 && exec "$@"',
          'sh',
          repo,
          view,
          ...user.prefix,
          process.execPath,
          join(view, 'packages/cli/dist/bin/cli.js'),
          ...args,
        ];
  const started = performance.now();
  const run = await execa(command[0], command.slice(1), { reject: false, cwd: '/' });
  const seconds = (performance.now() - started) / 1000;
  if (run.exitCode !== 0)
    throw new Error(`${who} ${label} failed:\n${String(run.stderr).split('\n').slice(-20).join('\n')}`);
  const report = JSON.parse(String(run.stdout).trim().split('\n').at(-1));
  const rootfs = report.stages.find((s) => s.name === 'rootfs');
  console.log(
    `${`${who} ${label}`.padEnd(16)} ${seconds.toFixed(1).padStart(6)} s   (rootfs stage ${(rootfs.ms / 1000).toFixed(1)} s)`,
  );
  await rm(join(profile, '..'), { recursive: true, force: true });
  return { seconds, outputs: Object.fromEntries(report.outputs.map((o) => [o.kind, o.sha256])) };
}

try {
  await build('root', 'warm-up');
  await build('user', 'warm-up');
  const times = { root: [], user: [] };
  let same = true;
  for (let round = 1; round <= rounds; round++) {
    const r = await build('root', `cold ${round}`);
    const u = await build('user', `cold ${round}`);
    times.root.push(r.seconds);
    times.user.push(u.seconds);
    same &&= JSON.stringify(r.outputs) === JSON.stringify(u.outputs);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratio = median(times.user) / median(times.root);
  console.log(
    `\nordinary user / root, cold debian-live build (median of ${rounds}): ${ratio.toFixed(2)}x (target <= 1.1x) ${ratio <= 1.1 ? 'MET' : 'MISSED'}`,
  );
  console.log(`outputs byte-identical: ${same ? 'yes' : 'NO'}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
