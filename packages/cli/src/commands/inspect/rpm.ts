import { readRpm, type RpmDependency } from '@distroforge/rpm-extract';
import { humanSize, type HumanReport } from '../inspect-render.js';
import { countsText, fileTable } from './file-table.js';
import type { Inspection } from './inspection.js';
import { octal } from './octal.js';

/** rpmlib() and file dependencies are rpm's own bookkeeping: a person asks for the packages. */
function dependencyText(d: RpmDependency): string {
  return d.comparison ? `${d.name} ${d.comparison} ${d.version}` : d.name;
}

export async function inspectRpmFile(file: string): Promise<Inspection> {
  const p = await readRpm(file);
  const requires = p.requires.filter((d) => !d.name.startsWith('rpmlib('));
  const rows = p.files.map((f) => ({
    mode: f.mode,
    size: f.size,
    path: f.path,
    note: f.linkTo ? `-> ${f.linkTo}` : undefined,
  }));
  const human: HumanReport = {
    title: `RPM package${p.isSource ? ' (source)' : ''}, ${p.nevra}`,
    facts: [
      ['name', p.name],
      ['version', `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`],
      ['architecture', p.arch],
      ['summary', p.summary],
      ['licence', p.license || 'not declared'],
      ['installed size', p.size === undefined ? 'not recorded' : humanSize(p.size)],
      [
        'payload',
        `${p.payload.format}, ${p.payload.compressor ?? 'gzip'}${p.payload.flags ? ` level ${p.payload.flags}` : ''}`,
      ],
      ['requires', requires.length > 0 ? requires.map(dependencyText).join(', ') : 'nothing'],
      ['provides', p.provides.map(dependencyText).join(', ') || 'nothing'],
      ['scripts', Object.keys(p.scripts).join(', ') || 'none'],
      ['signatures', p.signatures.map((s) => `${s.tag} key ${s.keyId || 'unnamed'}`).join(', ') || 'unsigned'],
      ['contents', countsText(rows)],
    ],
    sections: [],
    files: { heading: `Files (${rows.length})`, table: fileTable(rows) },
  };
  return {
    file,
    kind: 'rpm',
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
    human,
  };
}
