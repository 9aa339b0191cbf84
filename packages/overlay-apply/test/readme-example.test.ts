import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleScript } from '../../../tools/testing/bundle-script.mjs';

const pkg = join(import.meta.dirname, '..');
const example = join(pkg, 'examples', 'live-profile.mjs');

// The example runs as one self-contained file bundled from the sources (the same
// `@distroforge/source` condition vitest uses) into a fresh directory under the temp dir: it needs
// no build, cannot run a stale dist/, and `nobody` can read it wherever the checkout lives (a
// clone under /root, mode 700, would hide node_modules and the sources from it).
let bundle = '';
let removeBundle = async () => {};
beforeAll(async () => {
  ({ file: bundle, remove: removeBundle } = await bundleScript(example));
});
afterAll(() => removeBundle());

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
  const asNobody =
    process.getuid?.() === 0
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]
      : [process.execPath];
  const [command, ...args] = asNobody as [string, ...string[]];
  const { stdout } = await execa(command, [...args, bundle], { cwd: '/', timeout: 60_000 });
  expect(stdout).toBe((await readmeOutput()).shown);
  // A string: node -p prints a number through util.inspect, in colour when FORCE_COLOR is set (nx sets it).
  const uid = await execa(command, [...args, '-p', 'String(process.getuid())'], { cwd: '/' });
  expect(uid.stdout).toBe(process.getuid?.() === 0 ? '65534' : String(process.getuid?.()));
});
