import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { sha256File } from '@distroforge/core';
import { CliError } from '../errors.js';
import { detectFileKind } from '../commands/inspect.js';
import type { ReportBuild } from './report-build.js';
import { OutputDirectory } from '../pipeline/output-directory.js';
import { profilePaths } from '../profile/profile-paths.js';
import { publishReport } from './publish-report.js';
import { renderReport } from './render-report.js';
import { reportName } from './write-report.js';

export interface ReportResult {
  file: string;
  bytes: number;
  /** What the report was made from: a build's output directory, or a root image read as is. */
  from: 'build' | 'image';
}

/**
 * `distroforge report [PROFILE|IMAGE]`: (re)writes NAME.report.html of the last build of a profile
 * (its OUT/build-report.json, the test record of the same outputs, the inventory of its root while
 * the state still has it), of the build an output file came from (a build-report.json beside it
 * lists it), or of a squashfs root image as is (its packages and sizes, no stages).
 */
export async function reportFor(target: string, options: { out?: string } = {}): Promise<ReportResult> {
  const info = await stat(target).catch(() => undefined);
  if (!info)
    throw new CliError('ERR_USAGE', `${target} does not exist`, {
      path: target,
      hint: 'give a profile directory, an output of a build, or a squashfs root image',
    });
  if (info.isDirectory()) {
    const paths = profilePaths(target, options.out ? { out: options.out } : {});
    return fromBuild(paths.outDir, paths.profileDir);
  }
  const file = resolve(target);
  const beside = dirname(file);
  const build = await readBuildReport(beside).catch(() => undefined);
  if (build?.outputs.some((o) => resolve(o.file) === file || basename(o.file) === basename(file)))
    return fromBuild(beside, dirname(beside), build);
  return fromImage(file, resolve(options.out ?? '.'));
}

/** The build report a build left in `outDir`. */
export async function readBuildReport(outDir: string): Promise<ReportBuild> {
  const file = join(outDir, 'build-report.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined)
    throw new CliError('ERR_REPORT_NO_BUILD', `${outDir} has no build-report.json: nothing was built there`, {
      path: file,
    });
  try {
    return JSON.parse(text) as ReportBuild;
  } catch (cause) {
    throw new CliError('ERR_REPORT_NO_BUILD', `${file} is not a build report: ${(cause as Error).message}`, {
      path: file,
      cause,
    });
  }
}

async function fromBuild(outDir: string, profileDir: string, known?: ReportBuild): Promise<ReportResult> {
  const build = known ?? (await readBuildReport(outDir));
  const outputs = await OutputDirectory.open(outDir, profileDir);
  return { ...(await publishReport(outputs, build)), from: 'build' };
}

/** A squashfs root image as is: unpacked into a temp folder, its packages read, no stages or boots. */
async function fromImage(image: string, outDir: string): Promise<ReportResult> {
  const kind = await detectFileKind(image);
  if (kind !== 'squashfs')
    throw new CliError(
      'ERR_USAGE',
      `${image} is ${`a ${kind} file`} with no build-report.json beside it naming it: report reads a profile's last build, one of its outputs, or a squashfs root image`,
      { path: image, value: kind, hint: 'give the profile directory (or its output directory with --out)' },
    );
  const temp = await mkdtemp(join(tmpdir(), 'distroforge-report-'));
  try {
    const root = join(temp, 'root');
    const { extractSquashfs } = await import('@distroforge/squashfs-wrap');
    await extractSquashfs(image, root, { logFile: join(temp, 'unsquashfs.log') });
    const { readImageInventory } = await import('../inventory/image-inventory.js');
    const inventory = await readImageInventory(root);
    const bytes = (await stat(image)).size;
    const name = basename(image).replace(/\.(squashfs|sfs|img)$/, '');
    const build: ReportBuild = {
      profile: name,
      sourceDateEpoch: 0,
      outputs: [{ kind: 'squashfs', file: image, bytes, sha256: await sha256File(image) }],
      stages: [],
      packages: [],
      totalMs: 0,
    };
    const html = renderReport({ build, inventory, rootImageBytes: bytes });
    const file = join(outDir, reportName(name));
    // Never over a file of the user's: only over a report written before.
    if (existsSync(file) && !(await readFile(file, 'utf8')).includes('<meta name="generator" content="distroforge">'))
      throw new CliError('ERR_OUTPUT_EXISTS', `${file} exists and is not a distroforge report`, {
        path: file,
        hint: 'move it away, or write the report elsewhere with --out DIR',
      });
    await writeFile(file, html);
    return { file, bytes: Buffer.byteLength(html), from: 'image' };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
