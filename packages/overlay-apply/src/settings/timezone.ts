import { TimezoneUnknownError } from '../errors.js';
import type { RootWriter } from '../root-writer.js';

/** /etc/localtime -> ../usr/share/zoneinfo/ZONE (as timedatectl/dpkg-reconfigure tzdata) and /etc/timezone. */
export async function applyTimezone(writer: RootWriter, zone: string): Promise<void> {
  await assertTimezoneExists(writer, zone);
  await writer.symlink('/etc/localtime', `../usr/share/zoneinfo/${zone}`);
  await writer.writeFile('/etc/timezone', `${zone}\n`);
}

export async function assertTimezoneExists(writer: RootWriter, zone: string): Promise<void> {
  const zoneFile = `/usr/share/zoneinfo/${zone}`;
  const stats = await writer.lstatIn(await writer.resolve(zoneFile));
  if (!stats?.isFile()) throw new TimezoneUnknownError(zone, zoneFile);
}
