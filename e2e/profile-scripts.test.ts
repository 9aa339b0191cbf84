// A profile's own steps (issue 25): examples/debian-live with one script per phase (prepare,
// postinstall, finalize) and an extra tree. It builds and boots (direct, BIOS), and the guest shows
// each script's effect with the owners the scripts gave; changing the postinstall script re-runs
// from postinstall on (rootfs, prepare, overlay stay cached) and gives the bytes of a cold build
// in another state directory; a failing finalize script fails the build with its output's tail,
// its log, and nothing published.
import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyExample, distroforge, repo, type BuildResult } from './distroforge-cli.js';

let work = '';
let profile = '';

const script = (body: string) => `#!/bin/sh\nset -e\n${body}\n`;

async function writeScript(name: string, lines: string[]): Promise<void> {
  await writeFile(join(profile, 'scripts', name), script(lines.join('\n')));
  await chmod(join(profile, 'scripts', name), 0o755);
}

beforeAll(async () => {
  ({ work, profile } = await copyExample('debian-live'));
  await mkdir(join(profile, 'scripts'));
  await mkdir(join(profile, 'data'));
  await writeFile(join(profile, 'data', 'greeting'), 'hello from the profile\n');
  // prepare: the image's own tools, an owner only the namespace can give, its input file, /proc.
  await writeScript('prepare.sh', [
    'echo "$DISTROFORGE_PHASE $DISTROFORGE_ARCHITECTURE $SOURCE_DATE_EPOCH" > /etc/prepare-ran',
    'cat "$DISTROFORGE_PROFILE_DIR/data/greeting" >> /etc/prepare-ran',
    'install -d -o 4 -g 4 -m 0750 /var/lib/prepared',
    'test -r /proc/self/status && test -c /dev/null && touch /tmp/scratch',
    // No network unless asked: only lo exists in the script's network namespace.
    `echo "net=$(sed -n 's/^ *\\([a-z0-9]*\\):.*/\\1/p' /proc/net/dev | paste -sd, -)." > /etc/prepare-net`,
  ]);
  // postinstall: sees the overlay's user and the extra tree.
  await writeScript('postinstall.sh', [
    'id -u live > /etc/postinstall-ran',
    'cat /opt/repo/README >> /etc/postinstall-ran',
    'echo v1 >> /etc/postinstall-ran',
  ]);
  await writeScript('finalize.sh', [
    'echo finalized > /etc/finalize-ran',
    'chmod 0600 /etc/finalize-ran',
    'rm -f /etc/motd',
  ]);
  await mkdir(join(profile, 'local-repo', 'pool'), { recursive: true });
  await writeFile(join(profile, 'local-repo', 'README'), 'local repository\n');
  await writeFile(join(profile, 'local-repo', 'pool', 'tool.sh'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  const yaml = (await readFile(join(profile, 'profile.yaml'), 'utf8'))
    .replace(/^outputs: .*$/m, 'outputs: [iso]')
    .replace(/^firmware: .*$/m, 'firmware: [bios]')
    .replace(/^test:\n(.|\n)*$/m, '');
  const commands: [string, string][] = [
    ['cat /etc/prepare-ran', 'prepare amd64'],
    ['echo greeting=$(grep -c "hello from the profile" /etc/prepare-ran)', 'greeting=1'],
    ['stat -c %u:%g:%a /var/lib/prepared', '4:4:750'],
    ['cat /etc/prepare-net', 'net=lo.'],
    ['tr "\\n" " " < /etc/postinstall-ran', '1000 local repository v1'],
    ['stat -c %a:%U /etc/finalize-ran', '600:root'],
    ['test -e /etc/motd; echo motd=$?', 'motd=1'],
    ['stat -c %u:%g /opt/repo/README', '0:4'],
    ['/opt/repo/pool/tool.sh', 'tool'],
  ];
  await writeFile(
    join(profile, 'profile.yaml'),
    `${yaml}scripts:
  prepare:
    - { path: scripts/prepare.sh, inputs: [data] }
  postinstall: [scripts/postinstall.sh]
  finalize: [scripts/finalize.sh]
extraTrees:
  - { from: ./local-repo, to: /opt/repo, owner: "0:4" }
test:
  ready: "root@debian-live:~#"
  timeout: 600
  commands:
${commands.map(([run, expect]) => `    - run: ${JSON.stringify(run)}\n      expect: ${JSON.stringify(expect)}`).join('\n')}
`,
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const stageFlags = (build: BuildResult) => Object.fromEntries(build.stages.map((s) => [s.name, s.cached]));

it("builds, boots, and the guest shows what each phase's script and the extra tree did", async () => {
  const result = await distroforge(['test', profile, '--medium', 'direct']);
  for (const s of result.build.stages)
    console.log(`profile-scripts stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s${s.cached ? ' (cached)' : ''}`);
  // A direct boot builds only what it boots: the root image, its layer and the initramfs (no ISO, no inventory).
  expect(result.build.stages.map((s) => s.name)).toEqual([
    'rootfs',
    'prepare',
    'overlay',
    'postinstall',
    'finalize',
    'image',
    'layer',
    'initramfs',
  ]);
  for (const boot of result.boots) {
    for (const c of boot.commands) expect(c.ok, `${c.run}: ${c.output}`).toBe(true);
    expect(boot.commands).toHaveLength(9);
  }
  expect(result.ok).toBe(true);
}, 2_400_000);

it('changing the postinstall script re-runs from postinstall only, and equals a cold build byte for byte', async () => {
  await writeScript('postinstall.sh', [
    'id -u live > /etc/postinstall-ran',
    'cat /opt/repo/README >> /etc/postinstall-ran',
    'echo v2 >> /etc/postinstall-ran',
  ]);
  const warm = await distroforge<BuildResult>(['build', profile]);
  expect(stageFlags(warm)).toEqual({
    rootfs: true,
    prepare: true,
    overlay: true,
    postinstall: false,
    finalize: false,
    image: true,
    layer: false,
    initramfs: true,
    iso: false,
    // The inventory reads the final tree, which the new script changed.
    inventory: false,
  });
  const cold = await distroforge<BuildResult>([
    'build',
    profile,
    '--state',
    join(work, 'cold-state'),
    '--out',
    join(work, 'cold-out'),
  ]);
  expect(cold.stages.every((s) => !s.cached)).toBe(true);
  const digests = (b: BuildResult) => Object.fromEntries(b.outputs.map((o) => [o.kind, o.sha256]));
  expect(digests(cold)).toEqual(digests(warm));
  // The new script's effect is in the layer: the ISO differs from the first build's.
  const listing = await execa(
    'xorriso',
    ['-indev', warm.outputs.find((o) => o.kind === 'iso')!.file, '-find', '/live', '-name', '*.squashfs'],
    { reject: false },
  );
  expect(listing.stdout + listing.stderr).toMatch(/overlay\.squashfs/);
}, 2_400_000);

it('a failing script fails the build with its phase, status and output tail, and publishes nothing', async () => {
  await writeScript('finalize.sh', ['echo "first line of the failure"', 'echo "the reason it failed" >&2', 'exit 3']);
  const out = join(work, 'failed-out');
  const run = await execa(
    'node',
    [join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js'), 'build', profile, '--out', out, '--json'],
    { reject: false },
  );
  expect(run.exitCode).toBe(4);
  const error = JSON.parse(String(run.stderr).trim().split('\n').at(-1)!) as {
    code: string;
    message: string;
    path: string;
    value: { phase: string; script: string; exitCode: number };
  };
  expect(error.code).toBe('ERR_PROFILE_SCRIPT_FAILED');
  expect(error.value).toEqual({ phase: 'finalize', script: 'scripts/finalize.sh', exitCode: 3 });
  expect(error.message).toMatch(/finalize script scripts\/finalize\.sh exited with status 3/);
  expect(error.message).toMatch(/first line of the failure\nthe reason it failed/);
  expect(await readFile(error.path, 'utf8')).toMatch(/the reason it failed/);
  expect(await readdir(out).catch(() => [])).toEqual([]);
  // No partial stage output is left behind (nothing the builder could not remove).
  const finalizeDir = join(profile, '.distroforge', 'stages', 'finalize');
  expect((await readdir(finalizeDir)).filter((n) => n.includes('.partial-'))).toEqual([]);
}, 1_200_000);
