import { writeFile } from 'node:fs/promises';
import type { ReportBuild } from './report-build.js';
import type { OutputDirectory } from '../pipeline/output-directory.js';
import { renderReport, type ReportInput } from './render-report.js';

/** The report's file name in the output directory. */
export function reportName(profile: string): string {
  return `${profile}.report.html`;
}

/** Renders the report of `build` and publishes it as OUT/NAME.report.html; returns its path and size. */
export async function writeReport(
  outputs: OutputDirectory,
  input: ReportInput & { build: ReportBuild },
): Promise<{ file: string; bytes: number }> {
  const html = renderReport(input);
  const file = await outputs.claim(reportName(input.build.profile));
  await writeFile(file, html);
  return { file, bytes: Buffer.byteLength(html) };
}
