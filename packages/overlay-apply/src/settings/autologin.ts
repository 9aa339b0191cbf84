import type { RootWriter } from '../root-writer.js';

/** Serial-style consoles get serial-getty@; virtual terminals (tty1..) get getty@. */
export function gettyUnitFor(tty: string): string {
  return /^tty\d+$/.test(tty) ? `getty@${tty}.service` : `serial-getty@${tty}.service`;
}

/**
 * The archiso/LevitateOS drop-in: reset ExecStart, then agetty with --autologin. The lines follow
 * Debian bookworm's getty@.service and serial-getty@.service, only adding `-f` and `--autologin`.
 */
export function autologinDropIn(tty: string, user: string): string {
  const agetty = /^tty\d+$/.test(tty)
    ? `-/sbin/agetty -o '-p -f -- \\\\u' --noclear --autologin ${user} - $TERM`
    : `-/sbin/agetty -o '-p -f -- \\\\u' --keep-baud --autologin ${user} 115200,57600,38400,9600 - $TERM`;
  return `[Service]\nExecStart=\nExecStart=${agetty}\n`;
}

export async function applyAutologin(writer: RootWriter, user: string, consoles: readonly string[]): Promise<string[]> {
  const units: string[] = [];
  for (const tty of consoles) {
    const unit = gettyUnitFor(tty);
    await writer.writeFile(`/etc/systemd/system/${unit}.d/autologin.conf`, autologinDropIn(tty, user));
    units.push(unit);
  }
  return units;
}
