import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeAtomically } from './write-atomically.js';

/** Entries kept by default; past this the file starts over (replaced inputs leave old keys behind). */
const MAX_ENTRIES = 256;

/**
 * A string-keyed map kept in a JSON file across processes (the caches of the CLI's state): read
 * once after `use(path)`, written atomically after each `set`. Entries that fail `valid`, or an
 * unreadable file, are ignored, and a file that cannot be written is not an error: it is a cache.
 * Off (every `get` misses, `set` does nothing) until a path is given.
 */
export class PersistedMap<V> {
  private file: string | undefined;
  private entries: Promise<Map<string, V>> | undefined;

  constructor(
    private readonly valid: (value: unknown) => value is V,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Where the map lives from now on; `undefined` turns it off. */
  use(path: string | undefined): void {
    this.file = path;
    this.entries = undefined;
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  async get(key: string): Promise<V | undefined> {
    return this.file === undefined ? undefined : (await this.load(this.file)).get(key);
  }

  async set(key: string, value: V): Promise<void> {
    const target = this.file;
    if (target === undefined) return;
    const known = await this.load(target);
    if (known.size >= this.maxEntries) known.clear();
    known.set(key, value);
    await save(target, known).catch(() => undefined);
  }

  private load(path: string): Promise<Map<string, V>> {
    return (this.entries ??= read(path, this.valid));
  }
}

async function read<V>(path: string, valid: (value: unknown) => value is V): Promise<Map<string, V>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { format?: number; entries?: Record<string, unknown> };
    if (parsed.format !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return new Map();
    return new Map(Object.entries(parsed.entries).filter((e): e is [string, V] => valid(e[1])));
  } catch {
    return new Map();
  }
}

async function save<V>(path: string, known: Map<string, V>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomically(path, (temp) =>
    writeFile(temp, `${JSON.stringify({ format: 1, entries: Object.fromEntries(known) })}\n`),
  );
}
