import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const example = join(pkg, 'examples', 'live-profile.mjs');

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(example, 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [example], { cwd: pkg, timeout: 60_000 });
  const shown = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(stdout).toBe(shown.trim());
  expect(stdout).toContain('second run: 0 changes');
});

it('works as an unprivileged user (run as nobody when the tests run as root)', async () => {
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'node'] : ['node'];
  const [command, ...args] = asNobody as [string, ...string[]];
  const { stdout } = await execa(command, [...args, example], { cwd: '/', timeout: 60_000 });
  expect(stdout).toContain('{"path":"/home/forge","type":"dir","uid":1000,"gid":1000,"mode":448}');
  expect(stdout).toContain('second run: 0 changes');
});
