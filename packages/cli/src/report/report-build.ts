/**
 * What the report reads of a build (the fields of build-report.json it draws), structural so the
 * report depends on no pipeline module and can be drawn from a build report file of any age:
 * `startMs` is missing in reports written before stages had start times.
 */
export interface ReportBuild {
  profile: string;
  sourceDateEpoch: number;
  outputs: { kind: string; file: string; bytes: number; sha256: string }[];
  stages: { name: string; key: string; cached: boolean; startMs?: number; ms: number }[];
  packages: { name: string; version: string; sha256: string }[];
  direct?: { rootImage?: string | undefined; stagingRoot?: string | undefined } | undefined;
  totalMs: number;
}
