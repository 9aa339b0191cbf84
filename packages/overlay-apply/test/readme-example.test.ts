import { execa } from 'execa';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const example = join(pkg, 'examples', 'live-profile.mjs');

// The example runs as one self-contained file bundled from the sources (the same
// `@distroforge/source` condition vitest uses) into a fresh directory under the temp dir: it needs
// no build, cannot run a stale dist/, and `nobody` can read it wherever the checkout lives (a
// clone under /root, mode 700, would hide node_modules and the sources from it).
let work = '';
let bundle = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'overlay-apply-readme-'));
  await chmod(work, 0o755);
  await build({
    config: false,
    entry: { 'live-profile': example },
    outDir: work,
    outExtension: () => ({ js: '.mjs' }),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    esbuildOptions: (options) => {
      options.conditions = ['@distroforge/source'];
    },
  });
  bundle = join(work, 'live-profile.mjs');
  await chmod(bundle, 0o644);
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function readmeOutput(): Promise<{ readme: string; shown: string }> {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  return { readme, shown: (/Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '').trim() };
}

it('the README example is the file in examples/ and prints what the README shows', async () => {
  const { readme, shown } = await readmeOutput();
  const source = await readFile(example, 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa(process.execPath, [bundle], { cwd: pkg, timeout: 60_000 });
  expect(stdout).toBe(shown);
  expect(stdout).toContain('second run: 0 changes');
});

it('works as an unprivileged user (run as nobody when the tests run as root)', async () => {
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
  const [command, ...args] = asNobody as [string, ...string[]];
  const { stdout } = await execa(command, [...args, bundle], { cwd: '/', timeout: 60_000 });
  expect(stdout).toBe((await readmeOutput()).shown);
  // A string: node -p prints a number through util.inspect, in colour when FORCE_COLOR is set (nx sets it).
  const uid = await execa(command, [...args, '-p', 'String(process.getuid())'], { cwd: '/' });
  expect(uid.stdout).toBe(process.getuid?.() === 0 ? '65534' : String(process.getuid?.()));
});
