import type { RootWriter } from '../root-writer.js';

/** LANG and LC_* in /etc/locale.conf (systemd) and /etc/default/locale (Debian's pam_env). */
export async function applyLocale(writer: RootWriter, variables: Readonly<Record<string, string>>): Promise<void> {
  const text = Object.entries(variables)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
  await writer.writeFile('/etc/locale.conf', text);
  await writer.writeFile('/etc/default/locale', text);
}
