import {
  canonicalManifestPath,
  manifestLookup,
  mergeManifest,
  type Manifest,
  type ManifestEntry,
} from '@distroforge/core';
import type { Change, RootWriter } from './root-writer.js';

export interface ApplyResult {
  /** The input manifest plus our ownership entries (entries of removed paths dropped). */
  manifest: Manifest;
  /** One entry per path that changed on disk or in the manifest, in the order applied. Empty on a re-run. */
  changes: Change[];
  /** What systemctl would have printed as warnings (static units, uninstantiated templates). */
  warnings: string[];
}

/** Folds the writer's manifest entries into the caller's manifest (not mutated) and lists changes. */
export function finish(writer: RootWriter, base: Manifest, warnings: string[]): ApplyResult {
  const removed = new Set(writer.changes.filter((c) => c.action === 'removed').map((c) => c.path));
  const kept: Manifest = { ...base, entries: base.entries.filter((e) => !removed.has(e.path)) };
  const manifest = mergeManifest(
    kept,
    writer.entries.filter((e) => !removed.has(canonicalManifestPath(e.path))),
  );
  const before = manifestLookup(base);
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const change of writer.changes) {
    if (seen.has(change.path)) continue;
    seen.add(change.path);
    changes.push(change);
  }
  for (const entry of manifest.entries) {
    if (seen.has(entry.path)) continue;
    if (!sameEntry(before(entry.path), entry)) {
      seen.add(entry.path);
      changes.push({ path: entry.path, action: 'ownership' });
    }
  }
  return { manifest, changes, warnings };
}

/** Field-by-field, so key order (hand-written vs. parsed manifests) does not count as a change. */
function sameEntry(a: ManifestEntry | undefined, b: ManifestEntry): boolean {
  if (a === undefined) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof ManifestEntry>);
  return [...keys].every((key) => a[key] === b[key]);
}
