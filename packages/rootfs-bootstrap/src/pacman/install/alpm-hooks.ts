import { compareBytewise, resolveInRoot } from '@distroforge/core';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageSatisfies, parsePacmanDependency, type PacmanProvider } from '../dependency.js';
import { PacmanHookSyntaxError } from '../errors.js';

/** One `[Trigger]` of an alpm hook. */
export interface AlpmHookTrigger {
  type: 'Path' | 'Package';
  operations: ('Install' | 'Upgrade' | 'Remove')[];
  /** fnmatch patterns; a leading `!` negates, the last matching pattern decides. */
  targets: string[];
}

/** An alpm hook file (`*.hook`), parsed as libalpm parses it. */
export interface AlpmHook {
  /** The file name (`50-paths.hook`): hooks run sorted by it, and a later directory's file of the same name overrides. */
  name: string;
  /** Where it was read from (in-root path of the image, or a host path of an extra hook folder). */
  file: string;
  triggers: AlpmHookTrigger[];
  when: 'PreTransaction' | 'PostTransaction' | undefined;
  description: string | undefined;
  depends: string[];
  abortOnFail: boolean;
  needsTargets: boolean;
  /** `Exec`, split into words as alpm does (quotes, backslash-escaped quotes). */
  exec: string[] | undefined;
}

/** The image's hook folders, lowest priority first (pacman's system folder, then `HookDir` as pacstrap passes it). */
export const IMAGE_HOOK_DIRS = ['usr/share/libalpm/hooks', 'etc/pacman.d/hooks'] as const;

/**
 * Parses a hook file's text. A file without any `[Trigger]` (an empty file, a symlink to
 * /dev/null) is valid and never runs: it only masks hooks of its name in lower folders.
 */
export function parseAlpmHook(text: string, name: string, file: string): AlpmHook {
  const hook: AlpmHook = {
    name,
    file,
    triggers: [],
    when: undefined,
    description: undefined,
    depends: [],
    abortOnFail: false,
    needsTargets: false,
    exec: undefined,
  };
  let section: string | undefined;
  const fail = (line: number, message: string): never => {
    throw new PacmanHookSyntaxError(file, `line ${line}: ${message}`, { value: name });
  };
  text.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1);
      if (section === 'Trigger') hook.triggers.push({ type: undefined as never, operations: [], targets: [] });
      else if (section !== 'Action') fail(lineNo, `invalid section ${section}`);
      return;
    }
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : line.slice(eq + 1).trim();
    const needValue = (): string => value ?? fail(lineNo, `${key} needs a value`);
    if (section === undefined) fail(lineNo, `invalid option ${key}`);
    if (section === 'Trigger') {
      const trigger = hook.triggers.at(-1)!;
      if (key === 'Operation') {
        const op = needValue();
        if (op !== 'Install' && op !== 'Upgrade' && op !== 'Remove') fail(lineNo, `invalid value ${op}`);
        if (!trigger.operations.includes(op as never))
          trigger.operations.push(op as AlpmHookTrigger['operations'][number]);
      } else if (key === 'Type') {
        const type = needValue();
        if (type === 'Package') trigger.type = 'Package';
        else if (type === 'Path' || type === 'File') trigger.type = 'Path';
        else fail(lineNo, `invalid value ${type}`);
      } else if (key === 'Target') trigger.targets.push(needValue());
      else fail(lineNo, `invalid option ${key}`);
      return;
    }
    if (key === 'When') {
      const when = needValue();
      if (when !== 'PreTransaction' && when !== 'PostTransaction') fail(lineNo, `invalid value ${when}`);
      hook.when = when as AlpmHook['when'];
    } else if (key === 'Description') hook.description = needValue();
    else if (key === 'Depends') hook.depends.push(needValue());
    else if (key === 'AbortOnFail') hook.abortOnFail = true;
    else if (key === 'NeedsTargets') hook.needsTargets = true;
    else if (key === 'Exec') hook.exec = splitWords(needValue(), () => fail(lineNo, `invalid value ${value}`));
    else fail(lineNo, `invalid option ${key}`);
  });
  if (hook.triggers.length === 0) return hook;
  for (const t of hook.triggers) {
    if (t.targets.length === 0) fail(0, 'Missing trigger targets');
    if (t.type === undefined) fail(0, 'Missing trigger type');
    if (t.operations.length === 0) fail(0, 'Missing trigger operation');
  }
  if (hook.exec === undefined) fail(0, 'Missing Exec option');
  if (hook.when === undefined) fail(0, 'Missing When option');
  return hook;
}

/** alpm's word splitting of `Exec`: whitespace separates, '…' and "…" group (a backslash escapes the quote), no other expansion. */
export function splitWords(text: string, bad: () => never): string[] {
  const words: string[] = [];
  let i = 0;
  const space = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (space(text[i])) i++;
  while (i < text.length) {
    let word = '';
    while (i < text.length && !space(text[i])) {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        i++;
        while (i < text.length && text[i] !== c) {
          if (text[i] === '\\' && text[i + 1] === c) i++;
          word += text[i++];
        }
        if (i >= text.length) bad();
        i++;
      } else {
        if (c === '\\' && (text[i + 1] === "'" || text[i + 1] === '"')) i++;
        word += text[i++];
      }
    }
    words.push(word);
    while (space(text[i])) i++;
  }
  return words;
}

/** `fnmatch(pattern, string, 0)`: `*` and `?` match any character, `/` included; `[...]` classes; backslash escapes. */
export function fnmatch(pattern: string, string: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = bracketEnd(pattern, i);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\[/g, '\\[')}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`).test(string);
}

function bracketEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) if (pattern[i] === ']') return i;
  return -1;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** alpm's pattern list: the last pattern that matches decides; a `!` one means no. */
export function matchPatterns(patterns: readonly string[], string: string): boolean {
  for (let k = patterns.length - 1; k >= 0; k--) {
    let pattern = patterns[k]!;
    const inverted = pattern.startsWith('!');
    if (inverted || pattern.startsWith('\\')) pattern = pattern.slice(1);
    if (fnmatch(pattern, string)) return !inverted;
  }
  return false;
}

/** A package of the transaction as the hooks see it: its name and file list (alpm's, directories ending in `/`). */
export interface HookTransactionPackage {
  name: string;
  files: readonly string[];
}

/**
 * Whether a hook runs for a transaction that installs `packages` (a fresh root: every operation is
 * an Install), and its targets (sorted, unique) for `NeedsTargets`.
 */
export function hookMatches(
  hook: AlpmHook,
  packages: readonly HookTransactionPackage[],
): { triggered: boolean; targets: string[] } {
  const targets: string[] = [];
  let triggered = false;
  for (const t of hook.triggers) {
    if (!t.operations.includes('Install')) continue;
    const matched =
      t.type === 'Package'
        ? packages.filter((p) => matchPatterns(t.targets, p.name)).map((p) => p.name)
        : packages.flatMap((p) => p.files.filter((f) => matchPatterns(t.targets, f)));
    if (matched.length > 0) {
      triggered = true;
      targets.push(...matched);
    }
  }
  const sorted = [...new Set(targets)].sort(compareBytewise);
  return { triggered, targets: sorted };
}

/** The `Depends` of the hook no installed package meets (by name, version or provide). */
export function hookUnmetDepends(hook: AlpmHook, installed: readonly PacmanProvider[]): string[] {
  return hook.depends.filter((text) => {
    const dep = parsePacmanDependency(text);
    return !installed.some((p) => packageSatisfies(p, dep));
  });
}

/**
 * Reads the hooks pacman would: the image's folders (`IMAGE_HOOK_DIRS`, resolved inside the root so
 * a hostile link cannot lead out of it) then `extraDirs` (host folders, highest priority, like
 * pacman's `--hookdir`); a name in a later folder overrides it in earlier ones; a symlink to
 * /dev/null (or any file without a trigger) masks. Sorted by name, as they run.
 */
export async function loadAlpmHooks(root: string, extraDirs: readonly string[] = []): Promise<AlpmHook[]> {
  const folders: { host: string; label: string; inRoot: boolean }[] = [];
  for (const dir of IMAGE_HOOK_DIRS) {
    const inRoot = await resolveInRoot(root, `/${dir}`, { followFinal: true, aboveRoot: 'clamp' });
    folders.push({ host: join(root, inRoot), label: `/${dir}`, inRoot: true });
  }
  for (const dir of extraDirs) folders.push({ host: dir, label: dir, inRoot: false });
  const hooks = new Map<string, AlpmHook>();
  for (const folder of [...folders].reverse()) {
    const names = await readdir(folder.host).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [] as string[];
      throw error;
    });
    for (const name of names.sort()) {
      if (!name.endsWith('.hook') || hooks.has(name)) continue;
      const label = folder.inRoot ? `${folder.label}/${name}` : join(folder.label, name);
      const text = await hookText(root, folder, name);
      if (text === undefined) continue; // a directory
      hooks.set(name, parseAlpmHook(text, name, label));
    }
  }
  return [...hooks.values()].sort(compareHookNames);
}

/** The text of a hook file; undefined for a directory. A link to /dev/null is empty. */
async function hookText(
  root: string,
  folder: { host: string; label: string; inRoot: boolean },
  name: string,
): Promise<string | undefined> {
  const path = join(folder.host, name);
  if (!folder.inRoot) {
    const stats = await stat(path);
    return stats.isDirectory() ? undefined : stats.isFile() ? readFile(path, 'utf8') : '';
  }
  const link = await lstat(path);
  if (link.isSymbolicLink() && (await readlink(path)) === '/dev/null') return '';
  const inRoot = await resolveInRoot(root, `${path.slice(root.length)}`, { followFinal: true, aboveRoot: 'clamp' });
  const stats = await stat(join(root, inRoot)).catch(() => undefined);
  if (stats === undefined) return '';
  if (stats.isDirectory()) return undefined;
  return stats.isFile() ? readFile(join(root, inRoot), 'utf8') : '';
}

/** alpm's order: names compared without the `.hook` suffix, a shorter prefix first. */
export function compareHookNames(a: { name: string }, b: { name: string }): number {
  const x = Buffer.from(a.name.slice(0, -'.hook'.length));
  const y = Buffer.from(b.name.slice(0, -'.hook'.length));
  return Buffer.compare(x, y);
}
