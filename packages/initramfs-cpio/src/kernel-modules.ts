import { readFile, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '@distroforge/core';
import { closureModuleIndex } from './closure-module-index.js';
import type { CpioEntry } from './cpio-entry.js';
import { invalidOptions, KernelModuleNotFoundError, KernelModulesDirError } from './errors.js';

/** The kernel's index files modprobe (kmod's or busybox's) reads, copied when present (`index: 'kernel'`). */
export const MODULE_INDEX_FILES = [
  'modules.dep',
  'modules.dep.bin',
  'modules.alias',
  'modules.alias.bin',
  'modules.softdep',
  'modules.symbols',
  'modules.symbols.bin',
  'modules.builtin',
  'modules.builtin.bin',
  'modules.builtin.alias.bin',
  'modules.builtin.modinfo',
  'modules.order',
  'modules.devname',
] as const;

export const moduleClosureOptionsSchema = z
  .object({
    /** `lib/modules/<version>` of an unpacked kernel, with depmod's index files. */
    modulesDir: z.string().min(1),
    /** Module names (`-` and `_` are the same), aliases (`crypto-crc32c`) or built-in modules. */
    names: z.array(z.string().min(1)),
    /** Follow `softdep` pre/post entries of modules.softdep (default true, as modprobe does). */
    softdeps: z.boolean().default(true),
  })
  .strict();
export type ModuleClosureOptions = z.input<typeof moduleClosureOptionsSchema>;

export interface KernelModule {
  /** Normalised name (`_`), e.g. `virtio_blk`. */
  name: string;
  /** Path relative to the modules directory, as in modules.dep (`kernel/fs/overlayfs/overlay.ko`). */
  path: string;
}

export interface ModuleClosure {
  /** Kernel version: the modules directory's name. */
  version: string;
  modulesDir: string;
  /** Every module to include, in load order (dependencies and pre softdeps first). */
  modules: KernelModule[];
  /** Requested names that are built into the kernel (nothing to load). */
  builtin: string[];
}

const normalise = (name: string) => name.replace(/-/g, '_');
const moduleName = (path: string) => normalise(basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, ''));

interface ModulesIndex {
  deps: Map<string, { path: string; deps: string[] }>;
  builtin: Set<string>;
  aliases: Array<{ pattern: RegExp; exact: string; module: string }>;
  softdeps: Map<string, { pre: string[]; post: string[] }>;
}

/**
 * Computes the modules needed to load `names` the way `modprobe` would: modules.dep's dependencies,
 * modules.softdep's pre/post soft dependencies (resolved through modules.alias), in load order.
 * An unknown name is `ERR_MODULE_NOT_FOUND`; built-in modules are reported, not loaded.
 */
export async function resolveModuleClosure(options: ModuleClosureOptions): Promise<ModuleClosure> {
  const { modulesDir, names, softdeps } = parseOptions(
    moduleClosureOptionsSchema,
    options,
    invalidOptions('resolveModuleClosure'),
  );
  const index = await readIndex(modulesDir);
  const order: KernelModule[] = [];
  const visited = new Set<string>();
  const builtin: string[] = [];

  const visit = (name: string): void => {
    if (visited.has(name)) return;
    visited.add(name);
    const module = index.deps.get(name);
    if (!module) return; // built in
    const soft = softdeps ? index.softdeps.get(name) : undefined;
    for (const pre of soft?.pre ?? []) for (const resolved of resolveOptional(index, pre)) visit(resolved);
    for (const dep of [...module.deps].reverse()) visit(dep);
    order.push({ name, path: module.path });
    for (const post of soft?.post ?? []) for (const resolved of resolveOptional(index, post)) visit(resolved);
  };

  for (const requested of names) {
    const resolved = resolveName(index, requested);
    if (resolved.length === 0) throw new KernelModuleNotFoundError(requested, modulesDir);
    for (const name of resolved) {
      if (!index.deps.has(name)) builtin.push(name);
      visit(name);
    }
  }
  return { version: basename(modulesDir), modulesDir, modules: order, builtin };
}

/** A name, or the modules an alias stands for (exact module names win, as in modprobe). */
function resolveName(index: ModulesIndex, requested: string): string[] {
  const name = normalise(requested);
  if (index.deps.has(name) || index.builtin.has(name)) return [name];
  const matches = index.aliases
    .filter((alias) => alias.exact === name || alias.pattern.test(name))
    .map((alias) => alias.module);
  return [...new Set(matches)].filter((m) => index.deps.has(m) || index.builtin.has(m));
}

/** Soft dependencies that do not exist on this kernel are skipped, as modprobe does. */
function resolveOptional(index: ModulesIndex, name: string): string[] {
  return resolveName(index, name);
}

/** Parsed indexes, reused while modules.dep is unchanged (parsing modules.alias takes a while). */
const indexCache = new Map<string, { stamp: string; index: Promise<ModulesIndex> }>();

async function readIndex(modulesDir: string): Promise<ModulesIndex> {
  const stats = await stat(join(modulesDir, 'modules.dep')).catch(() => undefined);
  const stamp = stats ? `${stats.mtimeMs}:${stats.size}:${stats.ino}` : '';
  const cached = indexCache.get(modulesDir);
  if (stats && cached?.stamp === stamp) return cached.index;
  const index = parseIndex(modulesDir);
  if (stats) indexCache.set(modulesDir, { stamp, index });
  index.catch(() => indexCache.delete(modulesDir));
  return index;
}

async function parseIndex(modulesDir: string): Promise<ModulesIndex> {
  const read = async (file: string, required: boolean): Promise<string> => {
    try {
      return await readFile(join(modulesDir, file), 'utf8');
    } catch (cause) {
      if (required)
        throw new KernelModulesDirError(`${modulesDir} has no readable ${file}`, join(modulesDir, file), cause);
      return '';
    }
  };
  const deps = new Map<string, { path: string; deps: string[] }>();
  for (const line of (await read('modules.dep', true)).split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    deps.set(moduleName(path), {
      path,
      deps: line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(moduleName),
    });
  }
  const builtin = new Set((await read('modules.builtin', false)).split('\n').filter(Boolean).map(moduleName));
  const aliases = (await read('modules.alias', false))
    .split('\n')
    .filter((line) => line.startsWith('alias '))
    .map((line) => {
      const [, pattern = '', module = ''] = line.split(/\s+/);
      const exact = normaliseAlias(pattern);
      return { exact, pattern: globToRegExp(exact), module: normalise(module) };
    });
  const softdeps = new Map<string, { pre: string[]; post: string[] }>();
  for (const line of (await read('modules.softdep', false)).split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'softdep' || !words[1]) continue;
    const entry = softdeps.get(normalise(words[1])) ?? { pre: [], post: [] };
    // Like kmod: words before the first `pre:`/`post:` belong to neither list and are ignored.
    let mode: 'none' | 'pre' | 'post' = 'none';
    for (const word of words.slice(2)) {
      if (word === 'pre:') mode = 'pre';
      else if (word === 'post:') mode = 'post';
      else if (mode !== 'none') entry[mode].push(word);
    }
    softdeps.set(normalise(words[1]), entry);
  }
  return { deps, builtin, aliases, softdeps };
}

/** kmod's alias normalisation: `-` becomes `_` outside `[...]` character classes. */
function normaliseAlias(alias: string): string {
  let out = '';
  let inClass = false;
  for (const ch of alias) {
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    out += !inClass && ch === '-' ? '_' : ch;
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Archive entries for a module closure: the modules (`.ko`, `.ko.xz`, `.ko.zst` as on disk) under
 * `lib/modules/<version>/`, the index of exactly these modules (`closureModuleIndex`: what the
 * host's depmod writes for them, modules.builtin* as the kernel has them) and the directories above
 * them. `index: 'kernel'` copies the kernel's own index files instead (every module of the kernel:
 * for an archive other modules will be added to later).
 */
export async function kernelModuleEntries(
  closure: ModuleClosure,
  options: { prefix?: string; index?: 'closure' | 'kernel' } = {},
): Promise<CpioEntry[]> {
  const prefix = options.prefix ?? `lib/modules/${closure.version}`;
  const files = new Map<string, string>();
  for (const module of closure.modules) files.set(module.path, join(closure.modulesDir, module.path));
  if (options.index === 'kernel')
    for (const file of MODULE_INDEX_FILES) files.set(file, join(closure.modulesDir, file));
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDirs = (path: string) => {
    for (let dir = posix.dirname(path); dir !== '.' && !dirs.has(dir); dir = posix.dirname(dir)) dirs.add(dir);
  };
  for (const [relative, source] of files) {
    const stats = await stat(source).catch(() => undefined);
    if (!stats) {
      if (relative.startsWith('modules.')) continue; // an index this kernel's depmod did not write
      throw new KernelModulesDirError(`${source} is listed in modules.dep but missing`, source);
    }
    const path = posix.join(prefix, relative);
    addDirs(path);
    entries.push({
      path,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: Math.floor(stats.mtimeMs / 1000),
      source,
      size: stats.size,
    });
  }
  if (options.index !== 'kernel') {
    // The generated index is dated like the kernel's modules.dep, so the archive depends on inputs only.
    const depStats = await stat(join(closure.modulesDir, 'modules.dep')).catch(() => undefined);
    const mtime = depStats ? Math.floor(depStats.mtimeMs / 1000) : 0;
    for (const [name, data] of await closureModuleIndex(closure)) {
      const path = posix.join(prefix, name);
      addDirs(path);
      entries.push({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, data });
    }
  }
  for (const dir of dirs) entries.push({ path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  return entries;
}
