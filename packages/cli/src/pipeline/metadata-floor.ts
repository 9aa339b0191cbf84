import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeAtomically } from '@distroforge/core';

/**
 * The newest repository metadata a profile's builds have verified: each apt suite's Release `Date`
 * and each RPM repository's repomd.xml `revision`. Passed back as the minimum for the next
 * resolution, so a mirror (or a man in the middle) serving an older, still validly signed copy is
 * refused instead of silently downgrading the image (rootfs-bootstrap's ERR_BOOTSTRAP_METADATA_ROLLBACK).
 * Kept in the build state; the lock file's own dates are a second floor.
 */
export class MetadataFloor {
  #dates: Record<string, string>;
  #revisions: Record<string, number>;
  #changed = false;

  private constructor(
    readonly file: string | undefined,
    dates: Record<string, string>,
    revisions: Record<string, number>,
  ) {
    this.#dates = dates;
    this.#revisions = revisions;
  }

  /** The floor kept at `file` (none yet, or unreadable: an empty floor). */
  static async load(file: string | undefined): Promise<MetadataFloor> {
    if (file === undefined) return new MetadataFloor(undefined, {}, {});
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { releaseDates?: unknown; repomdRevisions?: unknown };
      const dates = Object.fromEntries(
        Object.entries(asRecord(parsed.releaseDates)).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && !Number.isNaN(Date.parse(e[1])),
        ),
      );
      const revisions = Object.fromEntries(
        Object.entries(asRecord(parsed.repomdRevisions)).filter((e): e is [string, number] => Number.isInteger(e[1])),
      );
      return new MetadataFloor(file, dates, revisions);
    } catch {
      return new MetadataFloor(file, {}, {});
    }
  }

  /** `minReleaseDates` for rootfs-bootstrap: per suite, the later of this floor's date and `also`'s. */
  releaseDates(also: readonly { suite: string; date?: string | undefined }[] = []): Record<string, string> {
    const dates = { ...this.#dates };
    for (const { suite, date } of also)
      if (date !== undefined && (dates[suite] === undefined || Date.parse(date) > Date.parse(dates[suite])))
        dates[suite] = date;
    return dates;
  }

  /** `minRepomdRevision` for an RPM repository location, if one was seen. */
  repomdRevision(location: string): number | undefined {
    return this.#revisions[location];
  }

  /** Raises the floor to what a resolution just verified (never lowers it). */
  recordReleases(releases: readonly { suite: string; date?: string | undefined }[]): void {
    const next = this.releaseDates(releases);
    if (JSON.stringify(next) !== JSON.stringify(this.#dates)) {
      this.#dates = next;
      this.#changed = true;
    }
  }

  recordRevisions(repositories: readonly { location?: string | undefined; revision?: number | undefined }[]): void {
    for (const { location, revision } of repositories) {
      if (location === undefined || revision === undefined) continue;
      if ((this.#revisions[location] ?? -1) < revision) {
        this.#revisions[location] = revision;
        this.#changed = true;
      }
    }
  }

  /** Writes the floor if it rose. */
  async save(): Promise<void> {
    if (!this.#changed || this.file === undefined) return;
    const text = `${JSON.stringify({ releaseDates: sorted(this.#dates), repomdRevisions: sorted(this.#revisions) }, null, 2)}\n`;
    await mkdir(dirname(this.file), { recursive: true });
    await writeAtomically(this.file, (temp) => writeFile(temp, text));
    this.#changed = false;
  }
}

/** Where a state keeps its floor. */
export function metadataFloorFile(stateDir: string): string {
  return join(stateDir, 'cache', 'metadata-floor.json');
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What a build's package metadata must not be older than, and whether an older copy is accepted. */
export interface MetadataRules {
  floor: MetadataFloor;
  /** The Release dates distroforge.lock was written from. */
  lockReleases: readonly { suite: string; date?: string | undefined }[];
  /** Accept older metadata (an older mirror snapshot on purpose): `--allow-rollback`. */
  allowRollback: boolean;
}

/** rootfs-bootstrap's apt options for these rules. */
export function aptMetadataOptions(rules: MetadataRules): {
  minReleaseDates: Record<string, string>;
  allowReleaseRollback: boolean;
} {
  return { minReleaseDates: rules.floor.releaseDates(rules.lockReleases), allowReleaseRollback: rules.allowRollback };
}

/** rootfs-bootstrap's RPM options for these rules and a repository location. */
export function rpmMetadataOptions(
  rules: MetadataRules,
  location: string,
): { minRepomdRevision?: number; allowRepomdRollback: boolean } {
  const revision = rules.floor.repomdRevision(location);
  return {
    ...(revision === undefined ? {} : { minRepomdRevision: revision }),
    allowRepomdRollback: rules.allowRollback,
  };
}
