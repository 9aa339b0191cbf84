import { controlField, listDeb, parseRelations, readDebControlArchive } from '@distroforge/rootfs-bootstrap';
import { humanSize, type HumanReport } from '../inspect-render.js';
import { dep5Licenses } from '../../inventory/debian-copyright.js';
import { debCopyright } from './deb-copyright.js';
import { countsText, fileTable } from './file-table.js';
import type { Inspection } from './inspection.js';
import { octal } from './octal.js';
import { typeBits } from './type-bits.js';

export async function inspectDebFile(file: string): Promise<Inspection> {
  const [{ control, files }, controlArchive] = await Promise.all([listDeb(file), readDebControlArchive(file)]);
  // dpkg's maintainer scripts, in the order dpkg runs them on an install.
  const scripts = ['preinst', 'postinst', 'prerm', 'postrm', 'config', 'triggers'].filter((name) =>
    controlArchive.members.some((m) => m.name === name),
  );
  const conffiles =
    controlArchive.members
      .find((m) => m.name === 'conffiles')
      ?.data.toString('utf8')
      .split('\n')
      .filter(Boolean) ?? [];
  const field = (name: string) => controlField(control, name);
  const relations = (name: string) => parseRelations(field(name)).length;
  const installedSize = field('Installed-Size') === undefined ? undefined : Number(field('Installed-Size')) * 1024;
  const rows = files.map((f) => ({
    mode: typeBits[f.type] | f.mode,
    size: f.size,
    path: f.path,
    note:
      f.type === 'symlink'
        ? `-> ${f.linkTarget}`
        : f.type === 'hardlink'
          ? `link to ${f.linkTarget}`
          : f.type === 'char' || f.type === 'block'
            ? `(${f.major},${f.minor})`
            : undefined,
  }));
  // The licence is not a control field: the copyright file says it, machine-readably when DEP-5.
  const pkg = field('Package');
  const copyright = pkg ? await debCopyright(file, pkg).catch(() => undefined) : undefined;
  const licence = copyright === undefined ? undefined : dep5Licenses(copyright);
  const licenceText =
    licence ??
    (copyright === undefined
      ? `not declared (no /usr/share/doc/${pkg}/copyright)`
      : `see /usr/share/doc/${pkg}/copyright (not machine-readable)`);
  const relationText = (name: string) => field(name)?.replace(/\s+/g, ' ').trim() || 'nothing';
  const human: HumanReport = {
    title: `Debian package, ${field('Package')} ${field('Version')} ${field('Architecture')}`,
    facts: [
      ['package', field('Package') ?? '?'],
      ['version', field('Version') ?? '?'],
      ['architecture', field('Architecture') ?? '?'],
      ['description', field('Description')?.split('\n')[0] ?? ''],
      ['licence', licenceText],
      ['maintainer', field('Maintainer') ?? 'not declared'],
      ['section', `${field('Section') ?? '-'}, priority ${field('Priority') ?? '-'}`],
      ['installed size', installedSize === undefined ? 'not declared' : humanSize(installedSize)],
      ['pre-depends', relationText('Pre-Depends')],
      ['depends', relationText('Depends')],
      ['recommends', relationText('Recommends')],
      ['scripts', scripts.join(', ') || 'none'],
      ['conffiles', conffiles.length > 0 ? conffiles.join(', ') : 'none'],
      ['contents', countsText(rows)],
    ],
    sections: [],
    files: { heading: `Files (${rows.length})`, table: fileTable(rows) },
  };
  return {
    file,
    kind: 'deb',
    summary: {
      package: field('Package'),
      version: field('Version'),
      architecture: field('Architecture'),
      description: field('Description')?.split('\n')[0],
      ...(licence ? { license: licence } : {}),
      installedSize,
      depends: relations('Depends'),
      preDepends: relations('Pre-Depends'),
      files: files.length,
    },
    entries: files.map(
      (f) =>
        `${octal(typeBits[f.type] | f.mode)} ${f.user ?? f.uid}/${f.group ?? f.gid} ${String(f.size).padStart(10)} ${f.path}${f.type === 'symlink' ? ` -> ${f.linkTarget}` : f.type === 'hardlink' ? ` link to ${f.linkTarget}` : ''}`,
    ),
    human,
  };
}
