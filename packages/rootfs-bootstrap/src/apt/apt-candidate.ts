import { closeSync, openSync, readSync } from 'node:fs';
import { ReleaseError } from '../errors.js';
import type { PackageCandidate } from '../package-candidate.js';
import { parseRelations, type Relation, type RelationField } from '../relations.js';
import { FIELD_INDEX, PACKAGES_FIELDS, type PackagesField, type PackagesRow } from './packages-scan.js';

/** What the candidates of one `Packages` file share (one object, not a copy per candidate). */
export interface AptIndexFile {
  /** The mirror URL (`Filename` is relative to it). */
  mirror: string;
  /** The suite as requested, e.g. `bookworm-security`. */
  origin: string;
  /** The `Packages` URL, for errors. */
  where: string;
  /** Its rows: one JSON array of `PACKAGES_FIELDS` a line (the cached index, see `indexCandidates`). */
  rowsFile: string;
}

/** Strings many candidates hold equal (architectures, priorities): kept once. */
export class StringPool {
  readonly #strings = new Map<string, string>();

  intern(value: string): string {
    const known = this.#strings.get(value);
    if (known !== undefined) return known;
    this.#strings.set(value, value);
    return value;
  }
}

/** The fields of a candidate's row and the relations parsed from them, made on first use. */
interface Parsed {
  fields: PackagesRow;
  depends?: RelationField;
  preDepends?: RelationField;
  recommends?: RelationField;
}

/**
 * A candidate from an apt `Packages` paragraph, kept small: an index holds ~65,000 of them and the
 * resolver reads the names, versions, priorities and provides of all but the rest of only the few
 * hundred it selects. So those are fields; everything else is read back from its line of the index's
 * rows file on first use, so that no copy of the whole index stays in memory (not even as garbage
 * waiting for a full collection while the packages unpack).
 */
export class AptCandidate implements PackageCandidate {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly essential: boolean;
  readonly priority: string;
  readonly #file: AptIndexFile;
  /** Where its row is in `#file.rowsFile` (the line, without its newline). */
  readonly #position: number;
  readonly #length: number;
  /** Read for the newest version of every name (the universe's providers), so kept apart from the row: its text until parsed. */
  #provides: string | Relation[] | undefined;
  #parsed?: Parsed;

  /** `fields`: its row, `length` bytes at `position` of `file.rowsFile`, parsed. */
  constructor(fields: PackagesRow, file: AptIndexFile, position: number, length: number, pool: StringPool) {
    const p = (field: PackagesField): string | undefined => fields[FIELD_INDEX[field]] ?? undefined;
    const [name, version, filename, sha256] = [p('Package'), p('Version'), p('Filename'), p('SHA256')];
    if (!name || !version || !filename || !sha256) {
      throw new ReleaseError(`${file.where}: paragraph without Package, Version, Filename or SHA256`, {
        path: file.where,
        value: name,
      });
    }
    this.name = name; // not pooled: a map of ~65,000 names costs more than the few names -updates repeats
    this.version = version;
    this.architecture = pool.intern(p('Architecture') ?? 'all');
    this.essential = (p('Essential') ?? '').toLowerCase() === 'yes';
    this.priority = pool.intern((p('Priority') ?? 'optional').toLowerCase());
    this.#file = file;
    this.#position = position;
    this.#length = length;
    this.#provides = p('Provides');
  }

  get origin(): string {
    return this.#file.origin;
  }

  get multiArch(): string {
    return (this.#field('Multi-Arch') ?? 'no').toLowerCase();
  }

  get size(): number {
    return Number(this.#field('Size') ?? 0);
  }

  get installedSize(): number {
    return Number(this.#field('Installed-Size') ?? 0) * 1024;
  }

  get sha256(): string {
    return this.#field('SHA256')!.toLowerCase();
  }

  get location(): string {
    return `${this.#file.mirror}/${this.#field('Filename')}`;
  }

  get depends(): RelationField {
    const parsed = this.#parse();
    return (parsed.depends ??= this.#relations('Depends'));
  }

  get preDepends(): RelationField {
    const parsed = this.#parse();
    return (parsed.preDepends ??= this.#relations('Pre-Depends'));
  }

  get recommends(): RelationField {
    const parsed = this.#parse();
    return (parsed.recommends ??= this.#relations('Recommends'));
  }

  get provides(): Relation[] {
    if (Array.isArray(this.#provides)) return this.#provides;
    this.#provides = parseRelations(this.#provides, this.#where()).flat();
    return this.#provides;
  }

  #parse(): Parsed {
    if (this.#parsed) return this.#parsed;
    const { rowsFile } = this.#file;
    const bytes = Buffer.alloc(this.#length);
    const fd = openSync(rowsFile, 'r');
    let read: number;
    try {
      read = readSync(fd, bytes, 0, bytes.length, this.#position);
    } finally {
      closeSync(fd);
    }
    let fields: unknown;
    try {
      fields = JSON.parse(bytes.toString('utf8'));
    } catch {
      // told below
    }
    // The file is written once under its index's digest; another row here means someone replaced it.
    if (
      read !== bytes.length ||
      !Array.isArray(fields) ||
      fields.length !== PACKAGES_FIELDS.length ||
      fields[FIELD_INDEX.Package] !== this.name ||
      fields[FIELD_INDEX.Version] !== this.version
    ) {
      throw new ReleaseError(
        `${rowsFile} changed while in use (no row of ${this.name} ${this.version} at byte ${this.#position})`,
        {
          path: rowsFile,
          value: this.name,
        },
      );
    }
    this.#parsed = { fields: fields as PackagesRow };
    return this.#parsed;
  }

  #field(field: PackagesField): string | undefined {
    return this.#parse().fields[FIELD_INDEX[field]] ?? undefined;
  }

  #relations(field: PackagesField): RelationField {
    return parseRelations(this.#field(field), this.#where());
  }

  #where(): string {
    return `${this.#file.where}: ${this.name}`;
  }

  /** The plain fields, as `JSON.stringify` gave them when they were all own properties. */
  toJSON(): Omit<PackageCandidate, 'localFile' | 'depends' | 'preDepends' | 'recommends' | 'provides'> {
    return {
      name: this.name,
      version: this.version,
      architecture: this.architecture,
      essential: this.essential,
      priority: this.priority,
      multiArch: this.multiArch,
      size: this.size,
      installedSize: this.installedSize,
      sha256: this.sha256,
      location: this.location,
      origin: this.origin,
    };
  }
}
