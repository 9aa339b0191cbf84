import { formatPacmanDependency, readPacmanPackage, readPacmanSyncDatabaseFile } from '@distroforge/rootfs-bootstrap';
import { basename } from 'node:path';
import { humanSize, type HumanReport } from '../inspect-render.js';
import type { Inspection } from './inspection.js';

export async function inspectPacmanPackageFile(file: string): Promise<Inspection> {
  const p = await readPacmanPackage(file);
  const i = p.info;
  const human: HumanReport = {
    title: `pacman package, ${i.name} ${i.version} ${i.architecture ?? ''}`.trimEnd(),
    facts: [
      ['name', i.name],
      ['version', i.version],
      ['architecture', i.architecture ?? 'not declared'],
      ['description', i.description ?? ''],
      ['licence', i.licenses.join(', ') || 'not declared'],
      ['installed size', i.installedSize === undefined ? 'not declared' : humanSize(i.installedSize)],
      ['depends', i.depends.map(formatPacmanDependency).join(', ') || 'nothing'],
      ['provides', i.provides.map(formatPacmanDependency).join(', ') || 'nothing'],
      ['scripts', p.install ? '.INSTALL' : 'none'],
      [
        'contents',
        `${p.files.filter((f) => !f.endsWith('/')).length} files, ${p.files.filter((f) => f.endsWith('/')).length} directories`,
      ],
    ],
    sections: [],
    // alpm's file list carries no modes or sizes: paths only.
    files: {
      heading: `Files (${p.files.length})`,
      table: { columns: [{ title: 'path' }], rows: p.files.map((f) => [`/${f}`]) },
    },
  };
  return {
    file,
    kind: 'pacman-package',
    summary: {
      name: i.name,
      version: i.version,
      architecture: i.architecture,
      description: i.description,
      installedSize: i.installedSize,
      depends: i.depends.length,
      provides: i.provides.length,
      install: p.install !== undefined,
      files: p.files.length,
    },
    entries: p.files,
    human,
  };
}

export async function inspectPacmanDatabaseFile(file: string): Promise<Inspection> {
  const repo = basename(file).replace(/\.(db|files)(\.tar(\.\w+)?)?$/, '');
  const db = await readPacmanSyncDatabaseFile(file, repo);
  const signed = db.packages.filter((p) => p.pgpSignature !== undefined).length;
  const packages = [...db.packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const human: HumanReport = {
    title: `pacman sync database, repository ${repo}`,
    facts: [
      ['repository', repo],
      ['packages', String(db.packages.length)],
      ['signed', `${signed} of ${db.packages.length} carry a PGP signature`],
      ['download', humanSize(db.packages.reduce((n, p) => n + (p.compressedSize ?? 0), 0))],
      ['installed', humanSize(db.packages.reduce((n, p) => n + (p.installedSize ?? 0), 0))],
    ],
    sections: [],
    files: {
      heading: `Packages (${packages.length})`,
      table: {
        columns: [
          { title: 'name' },
          { title: 'version' },
          { title: 'arch' },
          { title: 'size', align: 'right' },
          { title: 'installed', align: 'right' },
          { title: 'licence' },
        ],
        rows: packages.map((p) => [
          p.name,
          p.version,
          p.architecture ?? '',
          p.compressedSize === undefined ? '' : humanSize(p.compressedSize),
          p.installedSize === undefined ? '' : humanSize(p.installedSize),
          p.licenses.join(', '),
        ]),
      },
    },
  };
  return {
    file,
    kind: 'pacman-database',
    summary: { repository: repo, packages: db.packages.length, signed },
    entries: db.packages.map((p) =>
      `${p.name} ${p.version} ${p.architecture ?? ''} ${p.filename}`.replace(/ {2,}/g, ' '),
    ),
    human,
  };
}
