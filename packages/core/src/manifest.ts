import { compareBytewise } from './byte-order.js';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { z } from 'zod';
import { coreError } from './errors.js';

/**
 * A rootfs is a directory plus a manifest (DESIGN.md, principle 2). The manifest records what the
 * directory on disk may not hold when not running as root: owners, groups, modes (setuid...),
 * device nodes, fifos and file capabilities. Archive writers (cpio, squashfs pseudo-files, tar, ext4)
 * apply it on top of what they read from disk, so no stage needs `chown`.
 *
 * Every field is optional except `path`: an entry overrides only what it states. Entries of type
 * `char`, `block` or `fifo` describe nodes that need not exist on disk at all.
 */
export const manifestEntrySchema = z
  .object({
    /** Absolute path inside the root, normalised: `/etc/shadow`, `/` for the root itself. */
    path: z
      .string()
      .refine(isCanonicalPath, { message: 'must be an absolute, normalised path without a trailing slash' }),
    type: z.enum(['file', 'dir', 'symlink', 'char', 'block', 'fifo', 'socket']).optional(),
    uid: z.number().int().min(0).max(0xffffffff).optional(),
    gid: z.number().int().min(0).max(0xffffffff).optional(),
    /** Permission bits including setuid/setgid/sticky (0..0o7777). */
    mode: z.number().int().min(0).max(0o7777).optional(),
    /** Device numbers, for `char` and `block` entries. */
    major: z.number().int().min(0).optional(),
    minor: z.number().int().min(0).optional(),
    /** Symlink target, for `symlink` entries that do not exist on disk. */
    target: z.string().optional(),
    /** File capabilities in `setcap` text form, e.g. `cap_net_raw=ep`. */
    caps: z.string().optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if ((entry.type === 'char' || entry.type === 'block') && (entry.major === undefined || entry.minor === undefined)) {
      ctx.addIssue({ code: 'custom', message: `${entry.type} device needs major and minor`, path: ['major'] });
    }
  });

export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

export const manifestSchema = z
  .object({
    format: z.literal('distroforge-manifest'),
    version: z.literal(1),
    entries: z.array(manifestEntrySchema),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

function isCanonicalPath(path: string): boolean {
  return path.startsWith('/') && posix.normalize(path) === path && (path === '/' || !path.endsWith('/'));
}

/** Turns `etc//shadow/`, `./etc/shadow` or `/etc/shadow` into `/etc/shadow`. */
export function canonicalManifestPath(path: string): string {
  const normalised = posix.normalize(`/${path}`);
  return normalised.length > 1 && normalised.endsWith('/') ? normalised.slice(0, -1) : normalised;
}

/** An empty manifest. */
export function emptyManifest(): Manifest {
  return { format: 'distroforge-manifest', version: 1, entries: [] };
}

/**
 * Merges entries into a manifest without mutating either: one entry per path, fields of later
 * entries override earlier ones, result sorted by path (byte order) so it serialises deterministically.
 */
export function mergeManifest(base: Manifest, updates: Iterable<ManifestEntry>): Manifest {
  const byPath = new Map<string, ManifestEntry>();
  for (const entry of base.entries) byPath.set(entry.path, { ...entry });
  for (const update of updates) {
    const path = canonicalManifestPath(update.path);
    const merged: ManifestEntry = { ...(byPath.get(path) ?? { path }), ...stripUndefined(update), path };
    byPath.set(path, manifestEntrySchema.parse(merged));
  }
  const entries = [...byPath.values()].sort((a, b) => compareBytewise(a.path, b.path));
  return { format: 'distroforge-manifest', version: 1, entries };
}

/** Looks up the entry for a path (canonicalised). */
export function manifestLookup(manifest: Manifest): (path: string) => ManifestEntry | undefined {
  const byPath = new Map(manifest.entries.map((e) => [e.path, e]));
  return (path) => byPath.get(canonicalManifestPath(path));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads and validates a manifest file; a bad file is an `ERR_MANIFEST_INVALID` naming the key. */
export async function readManifest(file: string): Promise<Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw coreError('ERR_MANIFEST_INVALID', `cannot read manifest ${file}: ${(cause as Error).message}`, {
      path: file,
      cause,
      hint: 'a manifest is JSON written by writeManifest()',
    });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw coreError('ERR_MANIFEST_INVALID', `invalid manifest ${file}: ${issue?.path.join('.')}: ${issue?.message}`, {
      path: file,
      value: issue?.path.join('.'),
    });
  }
  return parsed.data;
}

/** Writes a manifest atomically, one entry per line so diffs stay readable. */
export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  const valid = manifestSchema.parse(manifest);
  const lines = valid.entries.map((e) => `    ${JSON.stringify(e)}`);
  const text = `{\n  "format": "distroforge-manifest",\n  "version": 1,\n  "entries": [\n${lines.join(',\n')}${lines.length ? '\n' : ''}  ]\n}\n`;
  const temp = `${file}.partial-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}
