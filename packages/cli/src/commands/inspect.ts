import { open } from 'node:fs/promises';
import { CliError } from '../errors.js';
import type { FileKind, Inspection } from './inspect/inspection.js';

export type { FileKind, Inspection } from './inspect/inspection.js';
export type { HumanReport, Table, Column } from './inspect-render.js';

/** Tells what an image or package file is from its magic numbers (never from its name). */
export async function detectFileKind(file: string): Promise<FileKind> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw new CliError('ERR_INSPECT_UNREADABLE', `cannot read ${file}: ${(cause as Error).message}`, {
      path: file,
      cause,
    });
  });
  try {
    const head = Buffer.alloc(0x8006);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.length >= 4 && b.readUInt32BE(0) === 0xedabeedb) return 'rpm';
    if (b.subarray(0, 21).toString('latin1') === '!<arch>\ndebian-binary') return 'deb';
    if (b.subarray(0, 4).toString('latin1') === 'hsqs') return 'squashfs';
    if (b.length >= 0x404 && b.readUInt32LE(0x400) === 0xe0f5e1e2) return 'erofs';
    if (b.subarray(0x8001, 0x8006).toString('latin1') === 'CD001') return 'iso';
    if (b.subarray(512, 520).toString('latin1') === 'EFI PART' || b.subarray(0, 4).toString('latin1') === 'QFI\xfb')
      return 'disk';
    const magic6 = b.subarray(0, 6).toString('latin1');
    if (magic6 === '070701' || magic6 === '070702') return 'cpio';
    // A tar archive, as is or compressed: a pacman package (dot-files first) or sync database
    // (NAME-VERSION/desc members); any other compressed stream is taken for an initramfs.
    const { pacmanArchiveKind } = await import('@distroforge/rootfs-bootstrap');
    const pacman = await pacmanArchiveKind(file);
    if (pacman) return pacman === 'package' ? 'pacman-package' : 'pacman-database';
    if ((b[0] === 0x1f && b[1] === 0x8b) || b.readUInt32LE(0) === 0xfd2fb528 || magic6 === '\xfd7zXZ\x00')
      return 'cpio';
    throw new CliError(
      'ERR_INSPECT_UNKNOWN_FORMAT',
      `${file}: not an rpm, deb, pacman package or database, cpio/initramfs, squashfs, erofs, ISO or GPT disk image`,
      {
        path: file,
        hint: 'inspect understands .rpm, .deb, pacman packages and sync databases, initramfs (cpio, optionally gzip/zstd/xz), squashfs, erofs, ISO 9660 and GPT disk images',
      },
    );
  } finally {
    await handle.close();
  }
}

/** Reads a file with the package that owns its format: a summary, one line per member, and the same for a person. */
export async function inspectFile(file: string): Promise<Inspection> {
  const kind = await detectFileKind(file);
  switch (kind) {
    case 'rpm':
      return (await import('./inspect/rpm.js')).inspectRpmFile(file);
    case 'deb':
      return (await import('./inspect/deb.js')).inspectDebFile(file);
    case 'cpio':
      return (await import('./inspect/cpio.js')).inspectCpioFile(file);
    case 'squashfs':
      return (await import('./inspect/squashfs.js')).inspectSquashfsFile(file);
    case 'erofs':
      return (await import('./inspect/erofs.js')).inspectErofsFile(file);
    case 'iso':
      return (await import('./inspect/iso.js')).inspectIsoFile(file);
    case 'disk':
      return (await import('./inspect/disk.js')).inspectDiskFile(file);
    case 'pacman-package':
      return (await import('./inspect/pacman.js')).inspectPacmanPackageFile(file);
    case 'pacman-database':
      return (await import('./inspect/pacman.js')).inspectPacmanDatabaseFile(file);
    default:
      throw new CliError('ERR_INSPECT_UNSUPPORTED', `${file}: ${kind} images are recognised but not inspected yet`, {
        path: file,
        value: kind,
      });
  }
}
