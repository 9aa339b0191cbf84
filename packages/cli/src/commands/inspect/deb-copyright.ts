import { findTool, knownTools } from '@distroforge/core';
import { execa } from 'execa';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

/**
 * The text of `/usr/share/doc/PACKAGE/copyright` in a .deb's data tarball (Debian policy puts the
 * licence there), streamed from `dpkg-deb --fsys-tarfile`; undefined when the package has none
 * (or its doc directory is a symlink to another package's).
 */
export async function debCopyright(file: string, pkg: string): Promise<string | undefined> {
  const dpkg = await findTool(knownTools.dpkg);
  const wanted = `usr/share/doc/${pkg}/copyright`;
  let text: string | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File' || entry.path.replace(/^\.?\//, '') !== wanted) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        text = Buffer.concat(chunks).toString('utf8');
      });
    },
  });
  const child = execa(join(dirname(dpkg.path), 'dpkg-deb'), ['--fsys-tarfile', file], {
    stdin: 'ignore',
    buffer: false,
  });
  await Promise.all([pipeline(child.stdout, parser), child]);
  return text;
}
