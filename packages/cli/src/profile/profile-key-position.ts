import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { LoadedProfile } from './loaded-profile.js';

/** Line and column of a key (array items by index) in the profile's profile.yaml; undefined where it is not written. */
export async function profileKeyPosition(
  loaded: LoadedProfile,
  key: string[],
): Promise<{ line: number; col: number } | undefined> {
  const lines = new LineCounter();
  const doc = parseDocument(await readFile(loaded.profileFile, 'utf8').catch(() => ''), { lineCounter: lines });
  const offset = (
    doc.getIn(
      key.map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
      true,
    ) as { range?: [number, number, number] } | undefined
  )?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset);
}
