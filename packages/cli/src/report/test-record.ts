import { readFile, writeFile } from 'node:fs/promises';
import type { ReportBuild } from './report-build.js';
import type { OutputDirectory } from '../pipeline/output-directory.js';

/** What `distroforge test` found, written as out/NAME.test-report.json and drawn in the report. */
export interface TestRecord {
  profile: string;
  ok: boolean;
  /** The outputs booted (their digests tie the record to one build). */
  outputs: { file: string; sha256: string }[];
  boots: RecordedBoot[];
}

/**
 * One boot's verdict as `distroforge test` gives it (pipeline/boot-test.ts BootVerdict): its
 * console stages, its checks, and how long the whole boot took (`ms`).
 */
export interface RecordedBoot {
  firmware: string;
  medium: string;
  ok: boolean;
  accel: string;
  readyMs: number | undefined;
  stages: { stage: string; ms: number }[];
  checksMs?: number | undefined;
  ms?: number | undefined;
  commands: { run: string; expect: string; ok: boolean; matched?: boolean; exitStatus: number; output: string }[];
  error?: string | undefined;
  lastLines?: string[] | undefined;
  consoleLog?: string | undefined;
  persistence?: string | undefined;
}

/** The file a profile's test results are kept in, beside its build report. */
export function testRecordName(profile: string): string {
  return `${profile}.test-report.json`;
}

/** A saved test record, or undefined when the file is missing or not one. */
export async function readTestRecord(file: string): Promise<TestRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as TestRecord;
    return typeof record.profile === 'string' && Array.isArray(record.boots) && Array.isArray(record.outputs)
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes what a test found as OUT/NAME.test-report.json; returns the record. */
export async function writeTestRecord(
  outputs: OutputDirectory,
  build: ReportBuild,
  boots: readonly RecordedBoot[],
): Promise<TestRecord> {
  const record: TestRecord = {
    profile: build.profile,
    ok: boots.every((b) => b.ok),
    outputs: build.outputs.map((o) => ({ file: o.file, sha256: o.sha256 })),
    boots: [...boots],
  };
  await writeFile(await outputs.claim(testRecordName(build.profile)), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
