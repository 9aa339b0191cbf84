import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { CliError } from '../errors.js';

export type FileKind =
  | 'rpm'
  | 'deb'
  | 'cpio'
  | 'squashfs'
  | 'erofs'
  | 'iso'
  | 'disk'
  | 'pacman-package'
  | 'pacman-database';

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

export interface Inspection {
  file: string;
  kind: FileKind;
  summary: Record<string, unknown>;
  /** One line per member: files of an archive or image, partitions of a disk. */
  entries: string[];
}

/** Reads a file with the package that owns its format and returns a printable summary. */
export async function inspectFile(file: string): Promise<Inspection> {
  const kind = await detectFileKind(file);
  switch (kind) {
    case 'rpm': {
      const { readRpm } = await import('@distroforge/rpm-extract');
      const p = await readRpm(file);
      return {
        file,
        kind,
        summary: {
          nevra: p.nevra,
          summary: p.summary,
          license: p.license,
          size: p.size,
          payload: p.payload,
          requires: p.requires.length,
          provides: p.provides.length,
          signatures: p.signatures.length,
        },
        entries: p.files.map(
          (f) =>
            `${octal(f.mode)} ${f.user}/${f.group} ${String(f.size).padStart(10)} ${f.path}${f.linkTo ? ` -> ${f.linkTo}` : ''}`,
        ),
      };
    }
    case 'deb': {
      const { listDeb, controlField, parseRelations } = await import('@distroforge/rootfs-bootstrap');
      const { control, files } = await listDeb(file);
      const field = (name: string) => controlField(control, name);
      const relations = (name: string) => parseRelations(field(name)).length;
      return {
        file,
        kind,
        summary: {
          package: field('Package'),
          version: field('Version'),
          architecture: field('Architecture'),
          description: field('Description')?.split('\n')[0],
          installedSize: field('Installed-Size') === undefined ? undefined : Number(field('Installed-Size')) * 1024,
          depends: relations('Depends'),
          preDepends: relations('Pre-Depends'),
          files: files.length,
        },
        entries: files.map(
          (f) =>
            `${octal(debTypeBits[f.type] | f.mode)} ${f.user ?? f.uid}/${f.group ?? f.gid} ${String(f.size).padStart(10)} ${f.path}${f.type === 'symlink' ? ` -> ${f.linkTarget}` : f.type === 'hardlink' ? ` link to ${f.linkTarget}` : ''}`,
        ),
      };
    }
    case 'cpio': {
      const { listCpio } = await import('@distroforge/initramfs-cpio');
      const entries = await listCpio(file);
      return {
        file,
        kind,
        summary: { entries: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0) },
        entries: entries.map(
          (e) =>
            `${octal(e.rawMode)} ${e.uid}/${e.gid} ${String(e.size).padStart(10)} ${e.name}${e.type === 'char' || e.type === 'block' ? ` (${e.rdevMajor},${e.rdevMinor})` : ''}`,
        ),
      };
    }
    case 'squashfs': {
      const { listSquashfs, squashfsInfo } = await import('@distroforge/squashfs-wrap');
      const [info, entries] = await Promise.all([squashfsInfo(file), listSquashfs(file)]);
      return {
        file,
        kind,
        summary: { ...info },
        entries: entries.map(
          (e) =>
            `${octal(e.mode)} ${e.uid}/${e.gid} ${String(e.size).padStart(10)} ${e.path}${e.target ? ` -> ${e.target}` : ''}`,
        ),
      };
    }
    case 'iso': {
      const { inspectIso } = await import('@distroforge/iso-assemble');
      const iso = await inspectIso(file);
      return {
        file,
        kind,
        summary: {
          volumeId: iso.volumeId,
          creationTime: iso.creationTime,
          elTorito: iso.elTorito.entries,
          systemArea: iso.systemArea.summary,
          gpt: iso.systemArea.gpt,
          mbr: iso.systemArea.mbr,
        },
        entries: iso.files.map((f) => JSON.stringify(f)),
      };
    }
    case 'disk': {
      const { inspectDisk } = await import('@distroforge/disk-assemble');
      const disk = await inspectDisk(file);
      return {
        file,
        kind,
        summary: {
          format: disk.format,
          diskSize: disk.diskSize,
          diskGuid: disk.diskGuid,
          backupGptValid: disk.backupValid,
          mbrBootCode: disk.mbrBootCode,
          partitions: disk.partitions.length,
        },
        entries: disk.partitions.map((p) => {
          const fs = p.filesystem
            ? ` ${p.filesystem.type}${p.filesystem.label ? ` "${p.filesystem.label}"` : ''}${p.filesystem.uuid ? ` ${p.filesystem.uuid}` : ''}`
            : '';
          return `${p.index} ${p.name.padEnd(10)} ${(p.typeName ?? p.type).padEnd(12)} start ${mib(p.start)} size ${mib(p.size)} ${p.guid}${fs}`;
        }),
      };
    }
    case 'pacman-package': {
      const { readPacmanPackage } = await import('@distroforge/rootfs-bootstrap');
      const p = await readPacmanPackage(file);
      return {
        file,
        kind,
        summary: {
          name: p.info.name,
          version: p.info.version,
          architecture: p.info.architecture,
          description: p.info.description,
          installedSize: p.info.installedSize,
          depends: p.info.depends.length,
          provides: p.info.provides.length,
          install: p.install !== undefined,
          files: p.files.length,
        },
        entries: p.files,
      };
    }
    case 'pacman-database': {
      const { readPacmanSyncDatabaseFile } = await import('@distroforge/rootfs-bootstrap');
      const repo = basename(file).replace(/\.(db|files)(\.tar(\.\w+)?)?$/, '');
      const db = await readPacmanSyncDatabaseFile(file, repo);
      return {
        file,
        kind,
        summary: {
          repository: repo,
          packages: db.packages.length,
          signed: db.packages.filter((p) => p.pgpSignature !== undefined).length,
        },
        entries: db.packages.map((p) =>
          `${p.name} ${p.version} ${p.architecture ?? ''} ${p.filename}`.replace(/ {2,}/g, ' '),
        ),
      };
    }
    default:
      throw new CliError('ERR_INSPECT_UNSUPPORTED', `${file}: ${kind} images are recognised but not inspected yet`, {
        path: file,
        value: kind,
        hint: 'use dump.erofs for now',
      });
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0).padStart(6)} MiB`;
}

/** st_mode type bits of a .deb member, so its listing reads like the other archives'. */
const debTypeBits = {
  file: 0o100000,
  hardlink: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  char: 0o020000,
  block: 0o060000,
  fifo: 0o010000,
} as const;

function octal(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}
