import { open } from 'node:fs/promises';
import { RpmSourceError } from '../errors.js';

/** A `%triggerin` of a package: set off by the install of a package named `name` (optionally versioned). */
export interface RpmTrigger {
  kind: 'triggerin';
  /** The package name (or capability) that sets it off. */
  name: string;
  /** rpm's sense bits (LESS 2, GREATER 4, EQUAL 8) and the version compared with, when versioned. */
  flags: number;
  version: string;
  /** The script's index in the header: one `%triggerin -- a, b` is one script with two names. */
  script: number;
  interpreter: string[];
  body: string | undefined;
}

/** A `%filetriggerin` / `%transfiletriggerin` of a package: set off by installed paths under `prefixes`. */
export interface RpmFileTrigger {
  kind: 'filetriggerin' | 'transfiletriggerin';
  prefixes: string[];
  /** Higher runs first; above 100000 before the triggering package's `%post` (rpm's rule). */
  priority: number;
  interpreter: string[];
  body: string | undefined;
}

/** rpm's RPMSENSE_TRIGGERIN. */
const SENSE_TRIGGERIN = 1 << 16;
/** rpm's default file trigger priority (`-P` not given). */
export const DEFAULT_FILE_TRIGGER_PRIORITY = 1_000_000;

const TAG = {
  triggerScripts: 1065,
  triggerName: 1066,
  triggerVersion: 1067,
  triggerFlags: 1068,
  triggerIndex: 1069,
  triggerScriptProg: 1092,
  fileTrigger: { scripts: 5066, prog: 5067, name: 5069, index: 5070, flags: 5072, priorities: 5084 },
  transFileTrigger: { scripts: 5076, prog: 5077, name: 5079, index: 5080, flags: 5082, priorities: 5085 },
} as const;

type TagValue = string[] | number[];

/**
 * Reads the triggers and file triggers of an rpm package file from its main header (rpm-extract
 * reads the other scriptlets). Only the install kinds: a fresh root never removes anything.
 */
export async function readRpmTriggers(
  file: string,
): Promise<{ triggers: RpmTrigger[]; fileTriggers: RpmFileTrigger[] }> {
  const tags = await readMainHeaderTags(file);
  const strings = (tag: number): string[] => (tags.get(tag) as string[] | undefined) ?? [];
  const numbers = (tag: number): number[] => (tags.get(tag) as number[] | undefined) ?? [];
  const triggers: RpmTrigger[] = [];
  const names = strings(TAG.triggerName);
  const scripts = strings(TAG.triggerScripts);
  const progs = strings(TAG.triggerScriptProg);
  const flags = numbers(TAG.triggerFlags);
  const versions = strings(TAG.triggerVersion);
  const index = numbers(TAG.triggerIndex);
  names.forEach((name, i) => {
    const f = flags[i] ?? 0;
    if ((f & SENSE_TRIGGERIN) === 0) return;
    const script = index[i] ?? 0;
    triggers.push({
      kind: 'triggerin',
      name,
      flags: f & 0x0e,
      version: versions[i] ?? '',
      script,
      interpreter: interpreterOf(progs[script]),
      body: scripts[script],
    });
  });
  const fileTriggers: RpmFileTrigger[] = [];
  for (const [kind, t] of [
    ['filetriggerin', TAG.fileTrigger],
    ['transfiletriggerin', TAG.transFileTrigger],
  ] as const) {
    const prefixes = strings(t.name);
    const tIndex = numbers(t.index);
    const tFlags = numbers(t.flags);
    const tScripts = strings(t.scripts);
    const tProgs = strings(t.prog);
    const priorities = numbers(t.priorities);
    const byScript = new Map<number, string[]>();
    prefixes.forEach((prefix, i) => {
      if (((tFlags[i] ?? 0) & SENSE_TRIGGERIN) === 0) return;
      const s = tIndex[i] ?? 0;
      byScript.set(s, [...(byScript.get(s) ?? []), prefix]);
    });
    for (const [s, p] of byScript)
      fileTriggers.push({
        kind,
        prefixes: p,
        priority: priorities[s] ?? DEFAULT_FILE_TRIGGER_PRIORITY,
        interpreter: interpreterOf(tProgs[s]),
        body: tScripts[s],
      });
  }
  return { triggers, fileTriggers };
}

function interpreterOf(prog: string | undefined): string[] {
  return prog ? prog.split(' ').filter(Boolean) : ['/bin/sh'];
}

/** The tags of the main header (after the lead and the signature header) holding strings or int32s. */
async function readMainHeaderTags(file: string): Promise<Map<number, TagValue>> {
  const handle = await open(file, 'r');
  try {
    const read = async (offset: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new RpmSourceError(`${file}: truncated rpm header`, { path: file });
      return buffer;
    };
    const sizeAt = async (offset: number): Promise<{ count: number; store: number }> => {
      const intro = await read(offset, 16);
      if (intro.readUInt32BE(0) !== 0x8eade801)
        throw new RpmSourceError(`${file}: not an rpm header at byte ${offset}`, { path: file });
      return { count: intro.readUInt32BE(8), store: intro.readUInt32BE(12) };
    };
    const sig = await sizeAt(96);
    const sigLength = 16 + sig.count * 16 + sig.store;
    const main = 96 + sigLength + ((8 - (sigLength % 8)) % 8);
    const { count, store } = await sizeAt(main);
    const bytes = await read(main + 16, count * 16 + store);
    const data = bytes.subarray(count * 16);
    const tags = new Map<number, TagValue>();
    for (let i = 0; i < count; i++) {
      const tag = bytes.readUInt32BE(i * 16);
      const type = bytes.readUInt32BE(i * 16 + 4);
      const offset = bytes.readUInt32BE(i * 16 + 8);
      const n = bytes.readUInt32BE(i * 16 + 12);
      if (type === 4)
        tags.set(
          tag,
          Array.from({ length: n }, (_, k) => data.readUInt32BE(offset + k * 4)),
        );
      else if (type === 6 || type === 8 || type === 9) {
        const values: string[] = [];
        let at = offset;
        for (let k = 0; k < (type === 6 ? 1 : n); k++) {
          const end = data.indexOf(0, at);
          if (end < 0) throw new RpmSourceError(`${file}: unterminated string in header tag ${tag}`, { path: file });
          values.push(data.toString('utf8', at, end));
          at = end + 1;
        }
        tags.set(tag, values);
      }
    }
    return tags;
  } finally {
    await handle.close();
  }
}
