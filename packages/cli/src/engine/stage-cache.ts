import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { followLogs } from './log-follower.js';
import { basename, dirname, join } from 'node:path';
import { leastRecentlyUsed } from '@distroforge/core';
import type { Reporter } from '../output/reporter.js';

/** Bumped when the meaning of cached stage outputs changes, invalidating every cache. */
const ENGINE_VERSION = 1;

export interface StageRun<T> {
  /** Stable name: the cache folder and the line the user sees. */
  name: string;
  /** Everything that decides this stage's output, JSON-serialisable (profile keys, file digests, tool versions). */
  inputs: unknown;
  /** Cache keys of the stages this one reads from. */
  upstream: readonly string[];
  /**
   * Produces the outputs inside `dir` (a fresh temporary directory) and returns a JSON-serialisable
   * summary. `key` is the stage's key (for a later stage that starts from part of this one's work).
   */
  run: (dir: string, key: string) => Promise<T>;
  /** A short text for the stage line (size, count...). */
  describe?: (result: T) => string;
}

export interface StageCacheOptions {
  /** Outputs kept per stage (most recently used first); default 2. */
  keep?: number;
  /** Ctrl-C: no stage starts after it, and a stage that ends after it is discarded, not kept. */
  signal?: AbortSignal | undefined;
  /**
   * What makes a stage's output besides its inputs (code and tool versions), by stage name; part of
   * every key, so an upgrade rebuilds the stages it affects. Default: nothing.
   */
  toolchain?: (stage: string) => Promise<Record<string, string>>;
}

export interface StageResult<T> {
  name: string;
  key: string;
  dir: string;
  result: T;
  cached: boolean;
  ms: number;
}

/**
 * Content-addressed stage cache: a stage's key is the hash of its inputs and its upstream keys,
 * its outputs live in `<state>/stages/<name>/<key>/`. A stage runs only when no complete output
 * exists for its key, so changing one overlay file re-runs the overlay and later stages only.
 * Outputs are produced in a temporary folder and renamed when complete: an interrupted build
 * never leaves an output that looks complete.
 */
export class StageCache {
  private readonly keep: number;
  private readonly signal: AbortSignal | undefined;
  private readonly toolchain: (stage: string) => Promise<Record<string, string>>;
  /** Deletions of pruned outputs still running (see `settle`). */
  private readonly deleting = new Set<Promise<void>>();

  constructor(
    readonly stateDir: string,
    private readonly reporter: Reporter,
    options: StageCacheOptions = {},
  ) {
    this.keep = options.keep ?? 2;
    this.signal = options.signal;
    this.toolchain = options.toolchain ?? (async () => ({}));
  }

  static key(
    name: string,
    inputs: unknown,
    upstream: readonly string[],
    toolchain: Record<string, string> = {},
  ): string {
    return createHash('sha256')
      .update(JSON.stringify({ engine: ENGINE_VERSION, name, inputs, upstream, toolchain }))
      .digest('hex')
      .slice(0, 32);
  }

  async run<T>(stage: StageRun<T>): Promise<StageResult<T>> {
    const toolchain = await this.toolchain(stage.name);
    const key = StageCache.key(stage.name, stage.inputs, stage.upstream, toolchain);
    const base = join(this.stateDir, 'stages', stage.name);
    const dir = join(base, key);
    const started = performance.now();
    this.reporter.emit({ type: 'stage-start', stage: stage.name, key });
    if (existsSync(join(dir, '.complete')) && (await this.intact(stage.name, dir))) {
      const result = JSON.parse(await readFile(join(dir, '.result.json'), 'utf8')) as T;
      await this.touch(dir);
      const ms = performance.now() - started;
      this.reporter.emit({ type: 'stage-end', stage: stage.name, cached: true, ms, detail: stage.describe?.(result) });
      return { name: stage.name, key, dir, result, cached: true, ms };
    }
    this.signal?.throwIfAborted();
    await mkdir(base, { recursive: true });
    const temp = join(base, `.${key}.partial-${process.pid}`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp);
    // --verbose: the stage's tool logs, streamed as they are written.
    const follower = this.reporter.verbose
      ? followLogs(temp, (line) => this.reporter.emit({ type: 'log', stage: stage.name, line }))
      : undefined;
    try {
      const result = await stage.run(temp, key).finally(() => follower?.stop());
      // A stage whose tools ignored the signal (or finished just then) is not kept: the user asked to stop.
      this.signal?.throwIfAborted();
      await writeFile(join(temp, '.result.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(
        join(temp, '.inputs.json'),
        `${JSON.stringify({ inputs: stage.inputs, upstream: stage.upstream, toolchain }, null, 2)}\n`,
      );
      await writeFile(join(temp, '.complete'), '');
      await rm(dir, { recursive: true, force: true });
      await rename(temp, dir);
      await this.prune(base, key);
      const ms = performance.now() - started;
      this.reporter.emit({ type: 'stage-end', stage: stage.name, cached: false, ms, detail: stage.describe?.(result) });
      return { name: stage.name, key, dir, result, cached: false, ms };
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * False when a file the stage wrote was modified after the stage completed: published outputs
   * are hard links to these files, so an image booted writable as root (QEMU without snapshot)
   * changes the cache itself. Such an entry is rebuilt rather than republished with a stale digest.
   * Only top-level files are checked (the outputs; trees in subfolders are never published), by
   * mtime against the `.complete` marker, which is written last.
   */
  private async intact(name: string, dir: string): Promise<boolean> {
    const completed = (await stat(join(dir, '.complete'))).mtimeMs;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.') || entry.name.endsWith('.sha256')) continue;
      if ((await stat(join(dir, entry.name))).mtimeMs > completed) {
        this.reporter.say(
          `note: ${join(dir, entry.name)} was modified after the ${name} stage built it (an output booted writable?); building the stage again`,
        );
        return false;
      }
    }
    return true;
  }

  /** Records use, so pruning keeps the most recently used outputs. */
  private async touch(dir: string): Promise<void> {
    await writeFile(join(dir, '.used'), String(Date.now()));
  }

  /**
   * Keeps the `keep` most recently used outputs of a stage; rootfs trees are large. A stale output
   * is renamed out of the cache at once and deleted in the background, while later stages run:
   * deleting a root tree's hard-link farm takes as long as making it, and no stage needs to wait.
   * The deletion runs at the lowest CPU priority, so it takes only what the stages leave idle.
   * Leftovers of a build interrupted while deleting are deleted too.
   */
  private async prune(base: string, current: string): Promise<void> {
    await this.touch(join(base, current));
    const names = await readdir(base);
    const entries = names.filter((n) => !n.startsWith('.'));
    const unused = (
      await leastRecentlyUsed(
        entries.map((n) => join(base, n, '.used')),
        this.keep,
      )
    ).map((used) => basename(dirname(used)));
    const stale = names
      .filter((n) => n.startsWith('.stale-') && !n.endsWith(`-${process.pid}`))
      .map((n) => join(base, n));
    for (const n of unused) {
      if (n === current) continue;
      const moved = join(base, `.stale-${n}-${process.pid}`);
      await rename(join(base, n), moved);
      stale.push(moved);
    }
    for (const path of stale) {
      const deletion = deleteIdle(path).catch((error: unknown) => {
        this.reporter.say(`note: could not delete the stale stage output ${path}: ${(error as Error).message}`);
      });
      this.deleting.add(deletion);
      void deletion.finally(() => this.deleting.delete(deletion));
    }
  }

  /** Waits for the background deletions of pruned outputs, so none is still running when a build returns. */
  async settle(): Promise<void> {
    while (this.deleting.size > 0) await Promise.all(this.deleting);
  }
}

/** `rm -rf` under `nice -n 19` (the stages running beside it keep the CPU); node's own rm where nice is missing. */
async function deleteIdle(path: string): Promise<void> {
  const { execa } = await import('execa');
  const run = await execa('nice', ['-n', '19', 'rm', '-rf', '--', path], { reject: false, stdin: 'ignore' });
  if (run.exitCode !== 0) await rm(path, { recursive: true, force: true });
}
