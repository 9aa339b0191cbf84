import { existsSync } from 'node:fs';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { closestWord } from '@distroforge/core';
import { checkCustomization } from './check-customization.js';
import type { LoadedProfile } from './loaded-profile.js';
import { ProfileError } from '../errors.js';
import { profileSchema, type Profile } from './profile-schema.js';
import { busyboxUnsupportedKeys, packageNameRules } from './source-rules.js';

/** A profile directory, read and validated. */
export type { LoadedProfile } from './loaded-profile.js';

/** Reads `DIR/profile.yaml`, `DIR/packages.txt` and locates `DIR/airootfs/`. */
export async function loadProfile(dirOrFile: string): Promise<LoadedProfile> {
  const given = resolve(dirOrFile);
  const isFile = existsSync(given) && (await stat(given)).isFile();
  const dir = isFile ? resolve(given, '..') : given;
  const profileFile = isFile ? given : join(dir, 'profile.yaml');
  if (!existsSync(profileFile)) {
    throw new ProfileError(
      profileFile,
      undefined,
      undefined,
      undefined,
      'no profile.yaml here',
      `create one with: distroforge init ${dirOrFile}`,
    );
  }
  const { profile, doc, lines } = parsedProfile(await readFile(profileFile, 'utf8'), profileFile);
  const packagesFile = join(dir, 'packages.txt');
  const listed = existsSync(packagesFile) ? packageListEntries(await readFile(packagesFile, 'utf8'), packagesFile) : [];
  checkAgainstSource(profile, doc, lines, profileFile, listed, packagesFile);
  const packages = [...new Set([...listed.map((entry) => entry.name), ...profile.packages])].sort();
  const loaded = { dir, profileFile, profile, packages, overlayDir: await overlayDirectory(join(dir, 'airootfs')) };
  await checkCustomization(loaded);
  return loaded;
}

/**
 * The profile's airootfs/, if it has one. A symlink is refused: followed, it would copy whatever it
 * points at on the build host (another user's home, /etc) into the image.
 */
async function overlayDirectory(overlay: string): Promise<string | undefined> {
  const info = await lstat(overlay).catch(() => undefined);
  if (info === undefined) return undefined;
  if (info.isSymbolicLink()) {
    const target = await readlink(overlay);
    throw new ProfileError(
      overlay,
      undefined,
      undefined,
      undefined,
      `airootfs is a symbolic link (to ${target}): the overlay must be a directory of the profile`,
      'copy the files into airootfs/ (or keep them elsewhere and copy them in before the build); a link would bring host files into the image',
    );
  }
  if (!info.isDirectory())
    throw new ProfileError(
      overlay,
      undefined,
      undefined,
      undefined,
      'airootfs is not a directory',
      'make airootfs/ a directory holding the files to add to the root',
    );
  return overlay;
}

/** Refuses what the profile's source cannot honour, at the line that asks for it. */
function checkAgainstSource(
  profile: Profile,
  doc: Document,
  lines: LineCounter,
  profileFile: string,
  listed: { name: string; line: number }[],
  packagesFile: string,
): void {
  const type = profile.source.type;
  const at = (key: (string | number)[]) => {
    const offset = (doc.getIn(key, true) as { range?: [number] } | undefined)?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset);
  };
  if (type === 'busybox') {
    const written = isMap(doc.contents) ? doc.contents.items : [];
    for (const [key, why] of Object.entries(busyboxUnsupportedKeys)) {
      // The key's own line (its value may start on the next).
      const pair = written.find((item) => isScalar(item.key) && item.key.value === key);
      const offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      const pos = offset === undefined ? undefined : lines.linePos(offset);
      if (pos !== undefined)
        throw new ProfileError(
          profileFile,
          pos.line,
          pos.col,
          key,
          `${why}: a busybox source cannot honour it`,
          `remove ${key}: or use an apt or RPM source`,
        );
    }
    const first = listed[0];
    if (first)
      throw new ProfileError(
        packagesFile,
        first.line,
        1,
        undefined,
        `${JSON.stringify(first.name)}: ${busyboxUnsupportedKeys.packages}`,
        'empty packages.txt (or remove it), or use an apt or RPM source',
      );
    return;
  }
  const rule = packageNameRules[type];
  if (rule === undefined) return;
  for (const entry of listed) {
    if (!rule.pattern.test(entry.name))
      throw new ProfileError(
        packagesFile,
        entry.line,
        1,
        undefined,
        `not a package name for an ${type} source: ${JSON.stringify(entry.name)}`,
        rule.says,
      );
  }
  profile.packages.forEach((name, index) => {
    if (rule.pattern.test(name)) return;
    const pos = at(['packages', index]);
    throw new ProfileError(
      profileFile,
      pos?.line,
      pos?.col,
      `packages.${index}`,
      `not a package name for an ${type} source: ${JSON.stringify(name)}`,
      rule.says,
    );
  });
}

/** Validates profile YAML text; errors carry file, line, column, key path and a fix. */
export function parseProfile(text: string, file = 'profile.yaml'): Profile {
  return parsedProfile(text, file).profile;
}

/** The profile and the YAML document it came from (with line positions, for later checks that point at a key). */
function parsedProfile(text: string, file: string): { profile: Profile; doc: Document; lines: LineCounter } {
  try {
    return parseProfileText(text, file);
  } catch (error) {
    // The YAML parser and the schema recurse per nesting level: `[[[[...` thousands deep ends here.
    if (error instanceof RangeError)
      throw new ProfileError(
        file,
        undefined,
        undefined,
        undefined,
        'YAML nested too deeply to read',
        'a profile nests a few levels; look for a run of [ { or - ',
      );
    throw error;
  }
}

function parseProfileText(text: string, file: string): { profile: Profile; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    throw new ProfileError(
      file,
      pos?.line,
      pos?.col,
      undefined,
      `YAML syntax: ${yamlError.message.split('\n')[0]}`,
      'fix the YAML syntax',
    );
  }
  let value: unknown;
  try {
    // Aliases are resolved here: an unknown one, or too many (a "billion laughs" document), throws.
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new ProfileError(
      file,
      undefined,
      undefined,
      undefined,
      `YAML: ${(error as Error).message.split('\n')[0]}`,
      'define each &anchor before its *alias, and use aliases sparingly',
    );
  }
  const result = profileSchema.safeParse(value);
  if (result.success) return { profile: result.data, doc, lines };
  throw issueToError(result.error.issues[0]!, doc, lines, file);
}

function issueToError(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter, file: string): ProfileError {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0] ?? '';
    const parent = doc.getIn(path, true);
    let offset: number | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === unknown);
      offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    }
    const known = knownKeys(path);
    const guess = closestWord(unknown, known);
    const pos = offset === undefined ? undefined : lines.linePos(offset);
    return new ProfileError(
      file,
      pos?.line,
      pos?.col,
      [...path, unknown].join('.'),
      'unknown key',
      guess ? `did you mean "${guess}"?` : `known keys here: ${known.join(', ')}`,
    );
  }
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  let offset = node?.range?.[0];
  if (offset === undefined) {
    // A missing key: point at the closest parent that exists.
    for (let n = path.length - 1; n >= 0 && offset === undefined; n--) {
      offset = (doc.getIn(path.slice(0, n), true) as { range?: [number] } | undefined)?.range?.[0];
    }
  }
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  return new ProfileError(file, pos?.line, pos?.col, path.join('.') || undefined, issue.message, hintFor(issue));
}

function hintFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) return `use one of: ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'source')
    return 'source.type is one of: apt, rpm-repo, rpm-dir, rpm-iso, pacman, pacman-dir, busybox';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return 'see docs/profile-reference.md';
}

/** The keys the schema allows at a path (for "did you mean" hints). */
function knownKeys(path: string[]): string[] {
  let schema: unknown = profileSchema;
  for (const key of path) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (shape && key in shape) schema = shape[key];
    else if ((schema as { def?: { type?: string; element?: unknown } }).def?.type === 'array')
      schema = (schema as { def: { element: unknown } }).def.element;
    else if ((schema as { def?: { type?: string } }).def?.type === 'union') {
      const options = (schema as { def: { options: unknown[] } }).def.options;
      return options.flatMap((o) => Object.keys((unwrap(o) as { shape?: object }).shape ?? {}));
    } else return [];
  }
  schema = unwrap(schema);
  const def = (schema as { def?: { type?: string; options?: unknown[] } }).def;
  if (def?.type === 'union' && def.options)
    return [...new Set(def.options.flatMap((o) => Object.keys((unwrap(o) as { shape?: object }).shape ?? {})))];
  return Object.keys((schema as { shape?: object }).shape ?? {});
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown } };
  while (s?.def && ['default', 'optional', 'nullable', 'pipe', 'prefault'].includes(s.def.type ?? '')) {
    s = (s.def.innerType ?? s.def.in) as typeof s;
  }
  return s;
}

/** packages.txt: one package per line; `#` starts a comment; blank lines ignored. */
export function parsePackageList(text: string, file = 'packages.txt'): string[] {
  return packageListEntries(text, file).map((entry) => entry.name);
}

/** packages.txt's names with their line numbers (from 1), in file order. */
export function packageListEntries(text: string, file = 'packages.txt'): { name: string; line: number }[] {
  const entries: { name: string; line: number }[] = [];
  text.split('\n').forEach((raw, index) => {
    const name = raw.replace(/#.*/, '').trim();
    if (!name) return;
    if (!/^@?[a-z0-9][a-z0-9+.\-_:@]*$/i.test(name)) {
      throw new ProfileError(
        file,
        index + 1,
        1,
        undefined,
        `not a package name: ${JSON.stringify(name)}`,
        'one package name (or @group) per line; # starts a comment',
      );
    }
    entries.push({ name, line: index + 1 });
  });
  return entries;
}
