// What users install must work on its own: pack every package with `npm pack`, install the
// tarballs into a fresh project outside the workspace, import each by name, run its bin's --help
// and its installed-smoke script (a real call on a small input).
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');

interface PackageInfo {
  dir: string;
  name: string;
  bin: Record<string, string>;
}

async function workspacePackages(): Promise<PackageInfo[]> {
  const dirs = (await readdir(join(repo, 'packages'))).sort();
  const infos: PackageInfo[] = [];
  for (const d of dirs) {
    const file = join(repo, 'packages', d, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(await readFile(file, 'utf8')) as {
      name: string;
      private?: boolean;
      bin?: Record<string, string>;
    };
    if (pkg.private) continue;
    infos.push({ dir: join(repo, 'packages', d), name: pkg.name, bin: pkg.bin ?? {} });
  }
  return infos;
}

const packages = await workspacePackages();
let project = '';

beforeAll(async () => {
  const work = await mkdtemp(join(tmpdir(), 'distroforge-packed-'));
  const tarballs = join(work, 'tarballs');
  project = join(work, 'project');
  await mkdir(tarballs);
  await mkdir(project);
  for (const p of packages) {
    if (!existsSync(join(p.dir, 'dist', 'index.js')))
      throw new Error(`${p.name} is not built: run npm run build first`);
    await execa('npm', ['pack', '--silent', '--pack-destination', tarballs], { cwd: p.dir });
  }
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const files = (await readdir(tarballs)).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], { cwd: project });
}, 600_000);

afterAll(async () => {
  if (project) await rm(resolve(project, '..'), { recursive: true, force: true });
});

describe.each(packages)('$name installed from its tarball', (p) => {
  it('imports by name outside the workspace and exposes its API', async () => {
    const { stdout } = await execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(p.name)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
      ],
      { cwd: project },
    );
    const names = JSON.parse(stdout) as string[];
    expect(names.length).toBeGreaterThan(0);
    // The import resolved inside the temp project, not to the workspace sources.
    const { stdout: where } = await execa(
      'node',
      ['--input-type=module', '-e', `console.log(import.meta.resolve(${JSON.stringify(p.name)}))`],
      { cwd: project },
    );
    expect(where).toContain(project);
    expect(where).toContain('/dist/');
  });

  it.each(Object.keys(p.bin).map((b) => [b]))('runs its bin %s --help', async (bin) => {
    const result = await execa(join(project, 'node_modules', '.bin', bin), ['--help'], { cwd: project, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/usage/i);
  });

  it('passes its installed-smoke script', async () => {
    const smoke = join(p.dir, 'test', 'installed-smoke.mjs');
    expect(existsSync(smoke), `${smoke} is missing`).toBe(true);
    const target = join(project, `smoke-${p.name.split('/')[1]}.mjs`);
    await copyFile(smoke, target);
    const result = await execa('node', [target], {
      cwd: project,
      reject: false,
      env: { DISTROFORGE_REPO: repo },
      timeout: 300_000,
    });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
