import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { mkdir, readFile, readdir, rm, rmdir, writeFile, rename } from 'node:fs/promises';
import { isAbsolute, join, parse, relative, resolve, sep } from 'node:path';

/**
 * The ledger of an output directory: every file distroforge published there, and whether it made
 * the directory. `clean` removes exactly these, and a build replaces only these, so `--out ~` can
 * neither delete nor overwrite what the user keeps there.
 */
export const LEDGER_NAME = '.distroforge-outputs.json';

interface Ledger {
  createdDirectory: boolean;
  files: string[];
}

/** Refuses an output directory whose cleaning would hit more than outputs: `/`, the profile or a parent of it. */
export function checkOutputDirectory(outDir: string, profileDir: string): void {
  const out = resolve(outDir);
  const profile = resolve(profileDir);
  const why =
    out === parse(out).root
      ? 'the root directory'
      : out === profile
        ? 'the profile directory'
        : isInside(profile, out)
          ? `a parent of the profile directory ${profile}`
          : undefined;
  if (why === undefined) return;
  throw new CliError('ERR_OUTPUT_DIRECTORY', `refusing ${out} as the output directory: it is ${why}`, {
    path: out,
    value: out,
    hint: 'name a directory of its own, e.g. --out PROFILE/out (the default) or a new directory',
  });
}

/** An output directory being published into: claims each name before writing it. */
export class OutputDirectory {
  readonly dir: string;
  #ledger: Ledger;
  #saving: Promise<void> = Promise.resolve();

  #saved: boolean;

  private constructor(dir: string, ledger: Ledger, saved: boolean) {
    this.dir = dir;
    this.#ledger = ledger;
    this.#saved = saved;
  }

  /**
   * The output directory after checking it is a safe one. Nothing is created until the first
   * output is claimed: a build that fails or is interrupted before publishing leaves no trace.
   */
  static async open(outDir: string, profileDir: string): Promise<OutputDirectory> {
    checkOutputDirectory(outDir, profileDir);
    const dir = resolve(outDir);
    const ledger = await readLedger(dir);
    return new OutputDirectory(
      dir,
      ledger ?? { createdDirectory: !existsSync(dir), files: existsSync(dir) ? await reportedOutputs(dir) : [] },
      ledger !== undefined,
    );
  }

  /**
   * The path to write `name` at. Refuses a file that exists and that no build published
   * (ERR_OUTPUT_EXISTS); records the name before anything is written, so an interrupted
   * publish is still cleaned.
   */
  async claim(name: string): Promise<string> {
    const file = join(this.dir, name);
    if (!this.#saved) {
      await mkdir(this.dir, { recursive: true });
      await this.#save();
      this.#saved = true;
    }
    if (!this.#ledger.files.includes(name)) {
      if (existsSync(file)) {
        throw new CliError('ERR_OUTPUT_EXISTS', `${file} exists and was not made by distroforge: not overwriting it`, {
          path: file,
          hint: 'move it away, or build into another directory with --out DIR',
        });
      }
      this.#ledger.files = [...this.#ledger.files, name].sort();
      await this.#save();
    }
    return file;
  }

  #save(): Promise<void> {
    const ledger = `${JSON.stringify(this.#ledger, null, 2)}\n`;
    this.#saving = this.#saving.then(async () => {
      const temp = join(this.dir, `${LEDGER_NAME}.partial-${process.pid}`);
      await writeFile(temp, ledger);
      await rename(temp, join(this.dir, LEDGER_NAME));
    });
    return this.#saving;
  }
}

/**
 * Removes what builds published in `outDir` (its ledger's files, any `.partial-*` of theirs), then
 * the ledger, then the directory if distroforge made it and it is now empty. Returns what it removed.
 */
export async function removeOutputs(outDir: string, profileDir: string): Promise<string[]> {
  checkOutputDirectory(outDir, profileDir);
  const dir = resolve(outDir);
  const ledger = await readLedger(dir);
  if (!ledger) return [];
  const removed: string[] = [];
  const names = new Set(ledger.files);
  for (const entry of await readdir(dir)) {
    const published = entry.replace(/\.partial-\d+$/, '');
    if (names.has(entry) || (published !== entry && names.has(published))) {
      await rm(join(dir, entry), { force: true });
      removed.push(join(dir, entry));
    }
  }
  await rm(join(dir, LEDGER_NAME), { force: true });
  if (ledger.createdDirectory) {
    await rmdir(dir).then(
      () => removed.push(dir),
      () => undefined, // the user put something else there: it stays, and so does the directory
    );
  }
  return removed;
}

/**
 * The outputs a build report of a distroforge without ledgers lists in `dir` (and the report
 * itself): adopted, so an upgrade rebuilds over its own old outputs instead of refusing them.
 */
async function reportedOutputs(dir: string): Promise<string[]> {
  try {
    const report = JSON.parse(await readFile(join(dir, 'build-report.json'), 'utf8')) as {
      outputs?: { file?: unknown }[];
    };
    const names = (report.outputs ?? [])
      .map((o) => o.file)
      .filter((f): f is string => typeof f === 'string' && resolve(f, '..') === dir)
      .map((f) => f.slice(dir.length + 1));
    return names.length === 0
      ? []
      : [...new Set(['build-report.json', ...names, ...names.map((n) => `${n}.sha256`)])].filter(isPlainName).sort();
  } catch {
    return [];
  }
}

async function readLedger(dir: string): Promise<Ledger | undefined> {
  const text = await readFile(join(dir, LEDGER_NAME), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Ledger>;
    const files = Array.isArray(parsed.files)
      ? parsed.files.filter((f): f is string => typeof f === 'string' && isPlainName(f))
      : [];
    return { createdDirectory: parsed.createdDirectory === true, files };
  } catch {
    // A damaged ledger claims nothing: nothing is removed or replaced on its word.
    return { createdDirectory: false, files: [] };
  }
}

/** A name directly inside the directory: a ledger cannot point a removal elsewhere. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes(sep);
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
