import type { RootWriter } from '../root-writer.js';

export type ScalarValue = string | number | boolean;

const header = '# Written by @distroforge/overlay-apply from the profile.\n';

function scalar(value: ScalarValue): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

/** sysctl settings as one drop-in, /etc/sysctl.d/90-distroforge.conf (in the given order). */
export async function applySysctl(writer: RootWriter, settings: Readonly<Record<string, ScalarValue>>): Promise<void> {
  const lines = Object.entries(settings).map(([key, value]) => `${key} = ${scalar(value)}\n`);
  await writer.writeFile('/etc/sysctl.d/90-distroforge.conf', header + lines.join(''));
}

/** Modules systemd-modules-load loads at boot: /etc/modules-load.d/distroforge.conf. */
export async function applyModules(writer: RootWriter, modules: readonly string[]): Promise<void> {
  await writer.writeFile('/etc/modules-load.d/distroforge.conf', header + modules.map((m) => `${m}\n`).join(''));
}

/** `options MODULE key=value...` lines in /etc/modprobe.d/distroforge.conf (e.g. kvm ignore_msrs=1). */
export async function applyModuleOptions(
  writer: RootWriter,
  options: Readonly<Record<string, string | Readonly<Record<string, ScalarValue>>>>,
): Promise<void> {
  const lines = Object.entries(options).map(([module, value]) => {
    const text =
      typeof value === 'string'
        ? value
        : Object.entries(value)
            .map(([key, v]) => `${key}=${scalar(v)}`)
            .join(' ');
    return `options ${module} ${text}\n`;
  });
  await writer.writeFile('/etc/modprobe.d/distroforge.conf', header + lines.join(''));
}
