import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SbatMismatchError } from './errors.js';
import { runLogged } from '@distroforge/core';

/** One SBAT record: a component and its security generation (`grub,5`). */
export interface SbatEntry {
  component: string;
  generation: number;
}

/** shim's built-in revocation levels (`.sbatlevel`): `previous` is applied automatically, `latest` on request. */
export interface ShimSbatLevel {
  previous: SbatEntry[];
  latest: SbatEntry[];
}

export interface SbatCheck {
  shim: SbatEntry[];
  grub: SbatEntry[];
  level: ShimSbatLevel;
  /** Components that would be revoked once the machine applies shim's `latest` policy. */
  warnings: string[];
}

/** Parses SBAT CSV text (one `component,generation,...` record per line; NUL padding ignored). */
export function parseSbatCsv(text: string): SbatEntry[] {
  const entries: SbatEntry[] = [];
  for (const line of text.replace(/\0[\s\S]*$/, '').split(/\r?\n/)) {
    const [component, generation] = line.split(',');
    if (!component || generation === undefined || !/^\d+$/.test(generation.trim())) continue;
    entries.push({ component: component.trim(), generation: Number.parseInt(generation.trim(), 10) });
  }
  return entries;
}

/**
 * Parses shim's `.sbatlevel` section: a u32 format version, then two u32 offsets (relative to the
 * end of the version field) of NUL-terminated SBAT CSV strings, `previous` and `latest`.
 */
export function parseSbatLevel(section: Buffer): ShimSbatLevel {
  if (section.length < 12) return { previous: [], latest: [] };
  const at = (offset: number): SbatEntry[] => {
    const start = 4 + offset;
    if (start >= section.length) return [];
    const end = section.indexOf(0, start);
    return parseSbatCsv(section.subarray(start, end === -1 ? section.length : end).toString('latin1')).filter(
      (e) => e.component !== 'sbat',
    );
  };
  return { previous: at(section.readUInt32LE(4)), latest: at(section.readUInt32LE(8)) };
}

/** Extracts one section of a PE image with objcopy (an absent section gives an empty buffer). */
export async function readPeSection(objcopy: string, file: string, section: string, logFile: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'distroforge-sbat-'));
  try {
    const out = join(dir, 'section.bin');
    await runLogged(objcopy, ['-O', 'binary', `--only-section=${section}`, file, out], { logFile, timeoutMs: 60_000 });
    return await readFile(out).catch(() => Buffer.alloc(0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Components of `image` whose generation is below what `level` requires. */
export function sbatViolations(level: readonly SbatEntry[], image: readonly SbatEntry[]): string[] {
  const violations: string[] = [];
  for (const required of level) {
    for (const entry of image) {
      if (entry.component === required.component && entry.generation < required.generation) {
        violations.push(`${entry.component} generation ${entry.generation} < ${required.generation}`);
      }
    }
  }
  return violations;
}

/**
 * Checks that shim will accept the GRUB binary under Secure Boot: GRUB must carry an SBAT section
 * and meet shim's automatically applied (`previous`) revocation level. Shortfalls against the
 * `latest` level are returned as warnings: they bite only on machines that opted into it.
 */
export async function checkSbatCompatibility(options: {
  objcopy: string;
  shim: string;
  grub: string;
  logFile: string;
}): Promise<SbatCheck> {
  const { objcopy, shim, grub, logFile } = options;
  const [shimSbat, shimLevel, grubSbat] = await Promise.all([
    readPeSection(objcopy, shim, '.sbat', logFile),
    readPeSection(objcopy, shim, '.sbatlevel', logFile),
    readPeSection(objcopy, grub, '.sbat', logFile),
  ]);
  const check: SbatCheck = {
    shim: parseSbatCsv(shimSbat.toString('latin1')),
    grub: parseSbatCsv(grubSbat.toString('latin1')),
    level: parseSbatLevel(shimLevel),
    warnings: [],
  };
  if (check.grub.length === 0) {
    throw new SbatMismatchError(`${grub} has no .sbat section: shim refuses to load it under Secure Boot`, {
      path: grub,
    });
  }
  const violations = sbatViolations(check.level.previous, check.grub);
  if (violations.length > 0) {
    throw new SbatMismatchError(`shim ${shim} requires a newer GRUB than ${grub}: ${violations.join('; ')}`, {
      path: grub,
      value: violations,
    });
  }
  check.warnings = sbatViolations(check.level.latest, check.grub).map(
    (v) => `revoked by shim's latest SBAT policy: ${v}`,
  );
  return check;
}
