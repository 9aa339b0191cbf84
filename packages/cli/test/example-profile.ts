import { cp } from 'node:fs/promises';
import { join } from 'node:path';

export const examplesDir = join(import.meta.dirname, '..', '..', '..', 'examples');

/** Copies examples/NAME to `into`: the profile only, never a build state or outputs a local build left there. */
export async function copyExampleProfile(name: string, into: string): Promise<string> {
  await cp(join(examplesDir, name), into, { recursive: true, filter: (src) => !/[/\\](\.distroforge|out)$/.test(src) });
  return into;
}
