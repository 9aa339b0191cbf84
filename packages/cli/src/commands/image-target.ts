import { stat } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { basename, resolve } from 'node:path';

import type { BuildReport } from '../pipeline/build-profile.js';
import { firmwareSchema } from '../profile/profile-schema.js';
import { detectFileKind } from './inspect.js';

export type Firmware = (typeof firmwareSchema.options)[number];

/**
 * `run IMAGE` / `test IMAGE`: when the positional names a file rather than a profile directory, a
 * build report with that file as its only output, so the profile's boot code boots it as is
 * (an ISO from CD-ROM or as a disk, a GPT disk image raw or qcow2). Undefined for a directory.
 */
export async function imageTarget(path: string): Promise<BuildReport | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const kind = await detectFileKind(path).catch(() => undefined);
  if (kind !== 'iso' && kind !== 'disk') {
    throw new CliError(
      'ERR_USAGE',
      `${path} is ${kind ? `a ${kind} file` : 'not an image'}: run and test boot a profile directory, an ISO or a GPT disk image`,
      {
        path,
        hint:
          kind === 'squashfs' || kind === 'erofs' || kind === 'cpio'
            ? 'boot the profile it came from with --medium direct'
            : 'give a profile directory or a .iso/.img/.qcow2 file',
      },
    );
  }
  const file = resolve(path);
  return {
    profile: basename(file),
    sourceDateEpoch: 0,
    outputs: [{ kind, file, bytes: info.size, sha256: '' }],
    stages: [],
    packages: [],
    totalMs: 0,
  };
}

/** `--firmware a,b`: the firmware modes to boot, checked. */
export function parseFirmwares(value: string): Firmware[] {
  return value.split(',').map((f) => {
    const parsed = firmwareSchema.safeParse(f);
    if (!parsed.success)
      throw new CliError('ERR_USAGE', `unknown firmware ${JSON.stringify(f)}`, {
        value: f,
        hint: 'use bios, uefi or uefi-secureboot (comma-separated for several)',
      });
    return parsed.data;
  });
}
