import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared RPM conformance corpus (real packages from rpm's own test suite) and rpm 4.18's answers. */
export const corpusDir = process.env.DISTROFORGE_RPM_CORPUS ?? join(import.meta.dirname, 'corpus');

export const corpusPackages = readdirSync(corpusDir)
  .filter((f) => /\.rpm($|-)/.test(f))
  .sort();

export function expected(name: string, kind: 'dump' | 'header' | 'checksig' | 'err'): string | undefined {
  const file = join(corpusDir, 'expected', `${name}.${kind}`);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** One parsed line of `rpm --dump`. */
export interface DumpLine {
  path: string;
  size: number;
  mtime: number;
  digest: string;
  mode: string;
  user: string;
  group: string;
  config: string;
  doc: string;
  rdev: string;
  link: string;
}

/** Parses `rpm -q --dump` output (the path may contain spaces; the 10 fields after it do not). */
export function parseDump(text: string): DumpLine[] {
  if (text.trim() === '(contains no files)') return [];
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      const tail = parts.slice(-10);
      const path = parts.slice(0, -10).join(' ');
      const [size, mtime, digest, mode, user, group, config, doc, rdev, link] = tail as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return { path, size: Number(size), mtime: Number(mtime), digest, mode, user, group, config, doc, rdev, link };
    });
}

/** Parses an `expected/NAME.header` file into its key=value lines (repeated keys collected). */
export function parseHeaderFile(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}
