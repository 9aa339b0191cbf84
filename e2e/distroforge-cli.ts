// What the example-profile tests share: running the built distroforge command with --json and
// reading its result, and copying an example profile (never its build state) to a temp folder.
import { execa } from 'execa';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js');

export interface BuildResult {
  outputs: { kind: string; file: string; sha256: string; bytes: number }[];
  packages: { name: string; version: string }[];
  stages: { name: string; cached: boolean; startMs: number; ms: number }[];
  /** How to boot the build directly (kernel boots). */
  direct?: { kernel: string; initrd: string; append: string };
}

export interface BootResult {
  firmware: string;
  medium: string;
  ok: boolean;
  readyMs: number;
  accel: string;
  stages: { stage: string; ms: number }[];
  commands: { run: string; ok: boolean; output: string }[];
  lastLines?: string[];
  consoleLog?: string;
  persistence?: string;
  /** Kernel boots: how the kernel was entered (PVH or the bzImage as given). */
  kernelBoot?: string;
}

export interface TestResult {
  ok: boolean;
  build: BuildResult;
  boots: BootResult[];
}

/** Runs `distroforge ARGS --json` and returns its last stdout line (the result) parsed. */
export async function distroforge<T = TestResult>(args: string[], timeoutMs = 1_800_000): Promise<T> {
  const run = await execa('node', [cli, ...args, '--json'], { reject: false, timeout: timeoutMs });
  const last = String(run.stdout).trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{'))
    throw new Error(
      `distroforge ${args.join(' ')} exited ${run.exitCode}:\n${String(run.stderr).split('\n').slice(-30).join('\n')}`,
    );
  return JSON.parse(last) as T;
}

/** Copies examples/NAME into a fresh temp folder (without .distroforge/ or out/) and returns the profile path. */
export async function copyExample(name: string): Promise<{ work: string; profile: string }> {
  const work = await mkdtemp(join(tmpdir(), `df-e2e-${name}-`));
  const profile = join(work, name);
  await cp(join(repo, 'examples', name), profile, {
    recursive: true,
    filter: (src) => !/[/\\](\.distroforge|out)$/.test(src),
  });
  return { work, profile };
}
