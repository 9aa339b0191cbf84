import { open, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { findTool, knownTools, parseOptions, compareBytewise } from '@distroforge/core';
import { archivePath, type CpioEntry } from './cpio-entry.js';
import { defaultInitOptionsSchema, defaultInitScript } from './default-init.js';
import { BusyboxNotStaticError, invalidOptions } from './errors.js';
import { kernelModuleEntries, resolveModuleClosure, type ModuleClosure } from './kernel-modules.js';
import { compressionSchema, segmentSchema, writeInitramfs } from './pack-cpio.js';

const extraFileSchema = z
  .object({
    /** Absolute path inside the initramfs. */
    path: z.string().min(1),
    /** Contents given inline... */
    content: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    /** ...or copied from this file. */
    source: z.string().optional(),
    mode: z.number().int().min(0).max(0o7777).default(0o644),
  })
  .strict()
  .refine((f) => (f.content === undefined) !== (f.source === undefined), {
    message: 'give exactly one of content or source',
  });

export const busyboxInitramfsOptionsSchema = z
  .object({
    /** A statically linked busybox (default: `busybox` on PATH, from Debian's busybox-static). */
    busybox: z.string().min(1).optional(),
    /** Kernel modules to include (with their closure and modprobe's index files) and load at boot. */
    modules: z
      .object({ dir: z.string().min(1), names: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    /** The /init script text, or options for the default init (marker, commands, then). */
    init: z.union([z.string().startsWith('#!'), defaultInitOptionsSchema.omit({ modules: true })]).optional(),
    /** Files added on top (they win over the defaults). */
    extraFiles: z.array(extraFileSchema).default([]),
    /** Raw entries added on top (devices, symlinks, ...). */
    extraEntries: z
      .array(z.custom<CpioEntry>((v) => typeof v === 'object' && v !== null && 'path' in v && 'type' in v))
      .default([]),
    /** Archives placed before the main one, e.g. `{ input: { archive: 'ucode.cpio' } }`. */
    prepend: z.array(segmentSchema).default([]),
    output: z.string().min(1),
    compress: compressionSchema.default('gzip'),
    level: z.number().int().min(0).max(22).optional(),
    sourceDateEpoch: z.number().int().min(0).nullable().optional(),
  })
  .strict();
export type BusyboxInitramfsOptions = z.input<typeof busyboxInitramfsOptionsSchema>;

export interface BusyboxInitramfsResult {
  output: string;
  bytes: number;
  busybox: string;
  /** Applet links created (`bin/sh` ...). */
  applets: string[];
  /** The module closure included, when modules were requested. */
  modules: ModuleClosure | undefined;
  /** The marker the default init prints (undefined with a custom init script). */
  marker: string | undefined;
  /** The /init script written. */
  init: string;
}

const BASE_DIRS: Array<[string, number]> = [
  ['.', 0o755],
  ['bin', 0o755],
  ['sbin', 0o755],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['dev', 0o755],
  ['proc', 0o555],
  ['sys', 0o555],
  ['run', 0o755],
  ['tmp', 0o1777],
  ['root', 0o700],
  ['etc', 0o755],
  ['lib', 0o755],
  ['mnt', 0o755],
  ['var', 0o755],
];
const BASE_DEVICES: Array<[string, number, number, number]> = [
  ['dev/console', 0o600, 5, 1],
  ['dev/null', 0o666, 1, 3],
  ['dev/tty', 0o666, 5, 0],
  ['dev/zero', 0o666, 1, 5],
];

/**
 * Builds a small initramfs: a static busybox with its applet links, /init, the device nodes
 * the kernel needs before devtmpfs (written from metadata, so no root is needed) and, optionally,
 * kernel modules with their closure. Deterministic for the same inputs.
 */
export async function buildBusyboxInitramfs(options: BusyboxInitramfsOptions): Promise<BusyboxInitramfsResult> {
  const o = parseOptions(busyboxInitramfsOptionsSchema, options, invalidOptions('buildBusyboxInitramfs'));
  const busybox = o.busybox ?? (await findTool(knownTools.busybox)).path;
  await assertStatic(busybox);
  const applets = await listApplets(busybox);
  const closure = o.modules
    ? await resolveModuleClosure({ modulesDir: o.modules.dir, names: o.modules.names })
    : undefined;
  const init =
    typeof o.init === 'string' ? o.init : defaultInitScript({ ...(o.init ?? {}), modules: o.modules?.names ?? [] });
  const marker =
    typeof o.init === 'string'
      ? undefined
      : parseOptions(defaultInitOptionsSchema, { ...(o.init ?? {}) }, invalidOptions('buildBusyboxInitramfs')).marker;

  const entries = new Map<string, CpioEntry>();
  const add = (entry: CpioEntry) => entries.set(archivePath(entry.path), { ...entry, path: archivePath(entry.path) });
  for (const [path, mode] of BASE_DIRS) add({ path, type: 'dir', mode });
  for (const [path, mode, major, minor] of BASE_DEVICES) add({ path, type: 'char', mode, major, minor });
  const size = (await stat(busybox)).size;
  add({ path: 'bin/busybox', type: 'file', mode: 0o755, source: busybox, size });
  for (const applet of applets) add({ path: applet, type: 'symlink', mode: 0o777, target: '/bin/busybox' });
  add({ path: 'init', type: 'file', mode: 0o755, data: init });
  if (closure) for (const entry of await kernelModuleEntries(closure)) add(entry);
  for (const file of o.extraFiles) {
    const common = { path: file.path, type: 'file' as const, mode: file.mode };
    if (file.content !== undefined) add({ ...common, data: file.content });
    else add({ ...common, source: file.source as string, size: (await stat(file.source as string)).size });
  }
  for (const entry of o.extraEntries) add(entry);
  // Parents of everything (module trees, extra files) exist as directories.
  for (const path of [...entries.keys()]) {
    for (let dir = posix.dirname(path); dir !== '.' && !entries.has(dir); dir = posix.dirname(dir))
      add({ path: dir, type: 'dir', mode: 0o755 });
  }
  const sorted = [...entries.values()]
    .sort((a, b) => compareBytewise(a.path, b.path))
    .map((e) => ({ uid: 0, gid: 0, ...e }));

  const result = await writeInitramfs({
    output: o.output,
    ...(o.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: o.sourceDateEpoch }),
    segments: [
      ...o.prepend,
      { input: { entries: sorted }, compress: o.compress, ...(o.level === undefined ? {} : { level: o.level }) },
    ],
  });
  return { output: result.output, bytes: result.bytes, busybox, applets, modules: closure, marker, init };
}

/** Applet paths as busybox itself reports them (`busybox --list-full`). */
async function listApplets(busybox: string): Promise<string[]> {
  const { stdout } = await execa(busybox, ['--list-full'], { timeout: 10_000 });
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox')
    .sort(compareBytewise);
}

/** A dynamically linked busybox would not run in an initramfs without its libraries. */
async function assertStatic(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new BusyboxNotStaticError(path, 'not an ELF executable');
    if (header[4] !== 2) return; // 32-bit: not checked further
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++)
      if (table.readUInt32LE(i * phentsize) === 3) throw new BusyboxNotStaticError(path, 'it is dynamically linked');
  } finally {
    await handle.close();
  }
}
