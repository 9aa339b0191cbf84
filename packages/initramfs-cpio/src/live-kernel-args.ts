import { LiveArgInvalidError } from './errors.js';

/**
 * The live init's kernel command line words (`live.*`, read by liveInitScript's parse_cmdline), as
 * typed values. Every program that boots the live stack — ISO menus, disk images, direct and 9p
 * boots — writes and edits its command line through these two functions, never by concatenating
 * or regex-editing strings.
 */
export interface LiveKernelArgs {
  root?: 'image' | '9p' | 'virtiofs' | 'disk';
  label?: string;
  uuid?: string;
  device?: string;
  /** Path of the image on the medium; '' when the medium itself is the image. */
  image?: string;
  fstype?: 'squashfs' | 'erofs';
  layers?: readonly string[];
  copyToRam?: boolean;
  timeout?: number;
  init?: string;
  tag?: string;
  overlaySize?: string;
  persistence?: string;
  persistenceType?: string;
  modules?: readonly string[];
}

/** Each option's word, in the order they are written. */
const WORDS = {
  root: 'live.root',
  label: 'live.label',
  uuid: 'live.uuid',
  device: 'live.device',
  image: 'live.image',
  fstype: 'live.fstype',
  layers: 'live.layers',
  copyToRam: 'live.copytoram',
  timeout: 'live.timeout',
  init: 'live.init',
  tag: 'live.tag',
  overlaySize: 'live.overlaysize',
  persistence: 'live.persistence',
  persistenceType: 'live.persistencefs',
  modules: 'live.modules',
} as const satisfies Record<keyof LiveKernelArgs, string>;

const KEYS = Object.keys(WORDS) as (keyof LiveKernelArgs)[];
const KEY_OF = new Map<string, keyof LiveKernelArgs>(KEYS.map((key) => [WORDS[key], key]));

/** The `live.*` words for `args`, in a fixed order; options left undefined are not written. */
export function liveKernelArgs(args: LiveKernelArgs): string[] {
  const words: string[] = [];
  for (const key of KEYS) {
    const value = args[key];
    if (value === undefined) continue;
    const word = WORDS[key];
    if (key === 'copyToRam') words.push(value ? word : `${word}=0`);
    else if (key === 'layers' || key === 'modules') {
      const list = value as readonly string[];
      for (const item of list) checkValue(word, item, true);
      words.push(`${word}=${list.join(',')}`);
    } else words.push(`${word}=${checkValue(word, String(value), false)}`);
  }
  return words;
}

/** Splits a command line into its `live.*` options and every other word (in order). */
export function parseLiveKernelArgs(cmdline: string | readonly string[]): { live: LiveKernelArgs; other: string[] } {
  const words = typeof cmdline === 'string' ? cmdline.split(/\s+/).filter(Boolean) : [...cmdline];
  const live: Record<string, unknown> = {};
  const other: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    const key = KEY_OF.get(name);
    if (key === undefined) {
      other.push(word);
      continue;
    }
    if (key === 'copyToRam') live[key] = value === undefined || value === '1' || value === 'yes';
    else if (key === 'layers' || key === 'modules') live[key] = value ? value.split(',') : [];
    else if (key === 'timeout') live[key] = Number(value);
    else live[key] = value ?? '';
  }
  return { live: live as LiveKernelArgs, other };
}

/**
 * A command line with some `live.*` options replaced or removed (set to undefined in `changes`):
 * the other words keep their order, the changed options go at the end.
 */
export function withLiveKernelArgs(
  cmdline: string | readonly string[],
  changes: { [K in keyof LiveKernelArgs]?: LiveKernelArgs[K] | undefined },
): string[] {
  const words = typeof cmdline === 'string' ? cmdline.split(/\s+/).filter(Boolean) : [...cmdline];
  const touched = new Set<string>(Object.keys(changes).map((key) => WORDS[key as keyof LiveKernelArgs]));
  const kept = words.filter((word) => !touched.has(word.includes('=') ? word.slice(0, word.indexOf('=')) : word));
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as LiveKernelArgs;
  return [...kept, ...liveKernelArgs(set)];
}

/** A value the live init's `case` word splitting reads back as written. */
function checkValue(word: string, value: string, inList: boolean): string {
  if (/[\s'"`$\\]/.test(value) || (inList && value.includes(','))) throw new LiveArgInvalidError(word, value, inList);
  return value;
}
