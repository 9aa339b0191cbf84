import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
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
 * lists it), or of an image file as is (its packages and sizes, no stages).
 */
export async function reportFor(target: string, options: { out?: string; state?: string } = {}): Promise<ReportResult> {
  const info = await stat(target).catch(() => undefined);
  if (!info)
    throw new CliError('ERR_USAGE', `${target} does not exist`, {
      path: target,
      hint: 'give a profile directory, an output of a build, or an image (squashfs, EROFS, ISO, GPT disk)',
    });
  if (info.isDirectory()) {
    const paths = profilePaths(target, {
      ...(options.out ? { out: options.out } : {}),
      ...(options.state ? { state: options.state } : {}),
    });
    return fromBuild(paths.outDir, paths.profileDir, paths.stateDir);
  }
  const file = resolve(target);
  const beside = dirname(file);
  const build = await readBuildReport(beside).catch(() => undefined);
  // An output of a build: that build's report (its state, by default, beside the output directory).
  if (build?.outputs.some((o) => resolve(o.file) === file || basename(o.file) === basename(file)))
    return fromBuild(beside, dirname(beside), resolve(options.state ?? join(dirname(beside), '.distroforge')), build);
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

async function fromBuild(
  outDir: string,
  profileDir: string,
  stateDir: string,
  known?: ReportBuild,
): Promise<ReportResult> {
  const build = known ?? (await readBuildReport(outDir));
  const outputs = await OutputDirectory.open(outDir, profileDir);
  return { ...(await publishReport(outputs, build, { stateDir })), from: 'build' };
}

/**
 * An image file as is (a squashfs or EROFS root image, an ISO, a GPT disk: what
 * inventory/image-file-inventory.ts reads): its packages and sizes, no stages or boots.
 */
async function fromImage(image: string, outDir: string): Promise<ReportResult> {
  const { imageFileInventory } = await import('../inventory/image-file-inventory.js');
  const { inventory } = await imageFileInventory(image);
  const kind = await detectFileKind(image);
  const bytes = (await stat(image)).size;
  const name = basename(image).replace(/\.(squashfs|sfs|erofs|iso|img|qcow2|raw)$/, '');
  const build: ReportBuild = {
    profile: name,
    sourceDateEpoch: 0,
    outputs: [{ kind, file: image, bytes, sha256: await sha256File(image) }],
    stages: [],
    packages: [],
    totalMs: 0,
  };
  // The compressed share per package is the root image's only when the file is that image.
  const rootImageBytes = kind === 'squashfs' || kind === 'erofs' ? bytes : undefined;
  const html = renderReport({ build, inventory, rootImageBytes });
  const file = join(outDir, reportName(name));
  // Never over a file of the user's: only over a report written before.
  if (existsSync(file) && !(await readFile(file, 'utf8')).includes('<meta name="generator" content="distroforge">'))
    throw new CliError('ERR_OUTPUT_EXISTS', `${file} exists and is not a distroforge report`, {
      path: file,
      hint: 'move it away, or write the report elsewhere with --out DIR',
    });
  await mkdir(outDir, { recursive: true });
  await writeFile(file, html);
  return { file, bytes: Buffer.byteLength(html), from: 'image' };
}
