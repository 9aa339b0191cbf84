import { readFile } from 'node:fs/promises';
import type { BootVerdict } from '../pipeline/boot-test.js';

/** What `distroforge test` found, written as out/NAME.test-report.json and drawn in the report. */
export interface TestRecord {
  profile: string;
  ok: boolean;
  boots: RecordedBoot[];
}

/** One boot's verdict: its stages, checks, and how long the whole boot took (`ms`). */
export type RecordedBoot = BootVerdict;

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
    return typeof record.profile === 'string' && Array.isArray(record.boots) ? record : undefined;
  } catch {
    return undefined;
  }
}
