// The profile reader under seeded random mutations of the example profiles: every input either
// parses or is refused with ERR_PROFILE_INVALID (a file:line when YAML or a key is at fault) —
// never another exception — and memory stays bounded. The seed is printed so a failure replays.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProfile, ProfileError } from '@distroforge/cli';
import { seededRandom } from '../../../tools/testing/seeded-random.mjs';

const CASES = 4000;
const SEED = Number(process.env.DISTROFORGE_FUZZ_SEED ?? 20261206);
const examples = join(import.meta.dirname, '..', '..', '..', 'examples');

/** Pieces YAML and the schema react to: structure, types, anchors, huge numbers, odd scalars. */
const TOKENS = [
  ':',
  '- ',
  '  ',
  '\n',
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '&a',
  '*a',
  '!!str',
  '!!binary',
  '|',
  '>',
  '"',
  "'",
  '? ',
  '~',
  'null',
  'true',
  '1e999',
  '-1',
  '0x10',
  '99999999999999999999',
  '\t',
  '\u0000',
  '\uFEFF',
  'é',
  '<<: *a',
  '%YAML 1.2\n---\n',
  '...',
];
const KEYS = [
  'source',
  'type',
  'outputs',
  'disk',
  'size',
  'freeSpace',
  'users',
  'name',
  'uid',
  'services',
  'enable',
  'permissions',
  'test',
  'commands',
  'expect',
  'boot',
  'kernelArgs',
  'image',
  'level',
  'firmware',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  let out = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const lines = out.split('\n');
    const line = Math.floor(next() * lines.length);
    switch (Math.floor(next() * 7)) {
      case 0: // flip one character's code
        out =
          out.slice(0, at) +
          String.fromCharCode((out.charCodeAt(at) || 32) ^ (1 << Math.floor(next() * 7))) +
          out.slice(at + 1);
        break;
      case 1: // insert a YAML token
        out = out.slice(0, at) + pick(TOKENS) + out.slice(at);
        break;
      case 2: // delete a line
        lines.splice(line, 1);
        out = lines.join('\n');
        break;
      case 3: // duplicate a line (duplicate keys, repeated items)
        lines.splice(line, 0, lines[line] ?? '');
        out = lines.join('\n');
        break;
      case 4: // a known key with a random value at a random indentation
        lines.splice(line, 0, `${' '.repeat(Math.floor(next() * 6))}${pick(KEYS)}: ${pick(TOKENS)}${pick(KEYS)}`);
        out = lines.join('\n');
        break;
      case 5: // truncate
        out = out.slice(0, at);
        break;
      default: // a long run of one token (deep nesting, long scalars)
        out =
          out.slice(0, at) + pick(['[', '{', '- ', 'a', '  ']).repeat(1 + Math.floor(next() * 3000)) + out.slice(at);
    }
  }
  return out;
}

describe('profile YAML under seeded random mutations', () => {
  it(`${CASES} mutations of the example profiles (seed ${SEED}): parsed or ERR_PROFILE_INVALID, nothing else; RSS bounded`, async () => {
    const originals = await Promise.all(
      ['minimal', 'debian-live', 'macpro-kvm-host', 'rocky-live'].map((name) =>
        readFile(join(examples, name, 'profile.yaml'), 'utf8'),
      ),
    );
    for (const original of originals) expect(() => parseProfile(original)).not.toThrow();
    const next = seededRandom(SEED).next;
    const rssBefore = process.memoryUsage().rss;
    let refused = 0;
    let peak = rssBefore;
    for (let n = 0; n < CASES; n++) {
      const text = mutate(originals[n % originals.length] as string, next);
      try {
        parseProfile(text, 'fuzz.yaml');
      } catch (error) {
        if (!(error instanceof ProfileError))
          throw new Error(`case ${n} (seed ${SEED}): ${String(error)}\n--- input ---\n${text.slice(0, 2000)}`, {
            cause: error,
          });
        expect(error.code).toBe('ERR_PROFILE_INVALID');
        expect(error.path).toMatch(/^fuzz\.yaml(:\d+:\d+)?$/);
        refused++;
      }
      if (n % 200 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const grownMiB = (peak - rssBefore) / 1048576;
    console.log(
      `profile fuzz: ${CASES} cases, ${refused} refused, ${CASES - refused} parsed, RSS grew ${grownMiB.toFixed(1)} MiB`,
    );
    // Both outcomes must occur, or the mutations test nothing.
    expect(refused).toBeGreaterThan(CASES / 10);
    expect(CASES - refused).toBeGreaterThan(0);
    expect(grownMiB).toBeLessThan(300);
  });
});
