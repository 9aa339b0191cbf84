import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NotAnIsoError, ToolOutputError } from './errors.js';
import { runLogged } from '@distroforge/core';
import { findXorriso } from './tools.js';

export interface IsoFileEntry {
  path: string;
  /** `boot-catalog` is El Torito's catalog, which xorriso shows as a file of its own kind. */
  type: 'file' | 'dir' | 'symlink' | 'boot-catalog' | 'other';
  /** Permission bits as xorriso reports them (e.g. `r--r--r--`). */
  mode: string;
  size: number;
}

export interface ElToritoEntry {
  index: number;
  /** `BIOS`, `UEFI`, or another platform id as xorriso names it. */
  platform: string;
  bootable: boolean;
  emulation: string;
  /** Load size in 512-byte sectors, as stored in the catalog. */
  loadSize: number;
  lba: number;
  /** The boot image's path in the ISO, when it is a visible file. */
  imagePath: string | undefined;
  options: string[];
}

export interface MbrPartition {
  index: number;
  status: string;
  type: string;
  start: number;
  blocks: number;
}

export interface GptPartition {
  index: number;
  name: string;
  typeGuid: string;
  guid: string;
  flags: string;
  /** Start and size in 512-byte sectors. */
  start: number;
  size: number;
}

export interface IsoInspection {
  path: string;
  volumeId: string;
  /** The volume's creation time as stored (`YYYYMMDDhhmmsscc`, UTC with SOURCE_DATE_EPOCH). */
  creationTime: string;
  files: IsoFileEntry[];
  elTorito: { catalogPath: string | undefined; entries: ElToritoEntry[] };
  systemArea: {
    summary: string;
    mbr: MbrPartition[];
    gpt: { diskGuid: string; partitions: GptPartition[] } | undefined;
  };
}

/**
 * Lists an ISO's files, El Torito boot entries and partition tables (MBR, GPT), through xorriso's
 * `-pvd_info`, `-report_el_torito plain`, `-report_system_area plain` and `-find / -exec lsdl`.
 */
export async function inspectIso(
  path: string,
  options: { logFile?: string; signal?: AbortSignal } = {},
): Promise<IsoInspection> {
  const file = resolve(path);
  await requireIso9660(file);
  const xorriso = await findXorriso();
  const report = await runLogged(
    xorriso.path,
    [
      '-no_rc',
      '-indev',
      file,
      '-pvd_info',
      '-report_el_torito',
      'plain',
      '-report_system_area',
      'plain',
      '-find',
      '/',
      '-exec',
      'lsdl',
      '--',
    ],
    { logFile: options.logFile ?? '/dev/null', timeoutMs: 300_000, signal: options.signal },
  );
  return parseXorrisoReport(file, report);
}

/** ISO 9660: the primary volume descriptor at byte 32768 reads `\x01CD001`. */
async function requireIso9660(file: string): Promise<void> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw new NotAnIsoError(file, { cause });
  });
  try {
    const magic = Buffer.alloc(6);
    const { bytesRead } = await handle.read(magic, 0, 6, 32768);
    if (bytesRead < 6 || magic.toString('latin1') !== '\x01CD001') throw new NotAnIsoError(file);
  } finally {
    await handle.close();
  }
}

/** Parses xorriso's combined report; exported for tests with recorded output. */
export function parseXorrisoReport(path: string, report: string): IsoInspection {
  const inspection: IsoInspection = {
    path,
    volumeId: '',
    creationTime: '',
    files: [],
    elTorito: { catalogPath: undefined, entries: [] },
    systemArea: { summary: '', mbr: [], gpt: undefined },
  };
  const eltorito = new Map<number, ElToritoEntry>();
  const gpt = new Map<number, GptPartition>();
  const gptOf = (index: number): GptPartition => {
    let entry = gpt.get(index);
    if (!entry) {
      entry = { index, name: '', typeGuid: '', guid: '', flags: '', start: 0, size: 0 };
      gpt.set(index, entry);
    }
    return entry;
  };
  let diskGuid: string | undefined;
  for (const line of report.split('\n')) {
    const field = /^([^:]+?)\s*:\s?(.*)$/.exec(line);
    const lsdl = /^([-dlbcpse])([-rwxsStT]{9})\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+'(.*)'$/.exec(line);
    if (lsdl) {
      const [, kind, mode, size, quoted] = lsdl as unknown as [string, string, string, string, string];
      const type =
        kind === '-'
          ? 'file'
          : kind === 'd'
            ? 'dir'
            : kind === 'l'
              ? 'symlink'
              : kind === 'e'
                ? 'boot-catalog'
                : 'other';
      inspection.files.push({ path: quoted.replaceAll(`'"'"'`, "'"), type, mode, size: Number(size) });
      continue;
    }
    if (!field) continue;
    const [, key, rest] = field as unknown as [string, string, string];
    const words = rest.trim().split(/\s+/);
    const num = (i: number) => Number.parseInt(words[i] ?? '', 10);
    switch (key) {
      case 'Volume Id':
        inspection.volumeId = rest.trim();
        break;
      case 'Creation Time':
        inspection.creationTime = rest.trim();
        break;
      case 'El Torito cat path':
        inspection.elTorito.catalogPath = rest.trim();
        break;
      case 'El Torito boot img': {
        if (words.length < 8) throw new ToolOutputError('xorriso', line);
        eltorito.set(num(0), {
          index: num(0),
          platform: words[1] as string,
          bootable: words[2] === 'y',
          emulation: words[3] as string,
          loadSize: num(6),
          lba: num(7),
          imagePath: undefined,
          options: [],
        });
        break;
      }
      case 'El Torito img path': {
        const entry = eltorito.get(num(0));
        if (entry)
          entry.imagePath = rest
            .trim()
            .slice(words[0]?.length ?? 0)
            .trim();
        break;
      }
      case 'El Torito img opts': {
        const entry = eltorito.get(num(0));
        if (entry) entry.options = words.slice(1);
        break;
      }
      case 'System area summary':
        inspection.systemArea.summary = rest.trim();
        break;
      case 'MBR partition':
        if (words.length < 5) throw new ToolOutputError('xorriso', line);
        inspection.systemArea.mbr.push({
          index: num(0),
          status: words[1] as string,
          type: words[2] as string,
          start: num(3),
          blocks: num(4),
        });
        break;
      case 'GPT disk GUID':
        diskGuid = words[0];
        break;
      case 'GPT partname local':
        gptOf(num(0)).name = rest
          .trim()
          .slice(words[0]?.length ?? 0)
          .trim();
        break;
      case 'GPT partition GUID':
        gptOf(num(0)).guid = words[1] ?? '';
        break;
      case 'GPT type GUID':
        gptOf(num(0)).typeGuid = words[1] ?? '';
        break;
      case 'GPT partition flags':
        gptOf(num(0)).flags = words[1] ?? '';
        break;
      case 'GPT start and size':
        gptOf(num(0)).start = num(1);
        gptOf(num(0)).size = num(2);
        break;
    }
  }
  if (inspection.volumeId === '' && inspection.files.length === 0)
    throw new ToolOutputError('xorriso', report.split('\n')[0] ?? '');
  inspection.elTorito.entries = [...eltorito.values()].sort((a, b) => a.index - b.index);
  if (diskGuid !== undefined)
    inspection.systemArea.gpt = { diskGuid, partitions: [...gpt.values()].sort((a, b) => a.index - b.index) };
  inspection.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return inspection;
}
