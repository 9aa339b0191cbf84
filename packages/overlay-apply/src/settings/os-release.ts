import type { RootWriter } from '../root-writer.js';

/**
 * Sets os-release fields in the file that holds them: /etc/os-release is usually a symlink to
 * ../usr/lib/os-release, which we then edit (inside the root) and keep the symlink. Existing keys
 * are replaced in place, new ones appended; other lines stay untouched.
 */
export async function applyOsRelease(writer: RootWriter, fields: Readonly<Record<string, string>>): Promise<void> {
  const etc = await writer.locate('/etc/os-release');
  const etcStats = await writer.lstatIn(etc);
  const file =
    etcStats !== undefined
      ? '/etc/os-release'
      : (await writer.exists('/usr/lib/os-release'))
        ? '/usr/lib/os-release'
        : '/etc/os-release';
  const target = await writer.resolve(file);
  const lines = ((await writer.readText(target)) ?? '')
    .replace(/\n$/, '')
    .split('\n')
    .filter((line, i, all) => line !== '' || i < all.length - 1);
  for (const [key, value] of Object.entries(fields)) {
    const line = `${key}=${quote(value)}`;
    const index = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (index >= 0) lines[index] = line;
    else lines.push(line);
  }
  await writer.writeFile(target, `${lines.join('\n')}\n`);
}

/** os-release(5): values with anything beyond [A-Za-z0-9] are double-quoted with \ escapes. */
function quote(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : `"${value.replace(/(["\\`$])/g, '\\$1')}"`;
}
