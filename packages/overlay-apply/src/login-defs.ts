/** The id ranges shadow's useradd/groupadd read from /etc/login.defs (with its defaults). */
export interface IdRanges {
  uid: { system: [number, number]; normal: [number, number] };
  gid: { system: [number, number]; normal: [number, number] };
}

export function parseLoginDefs(text: string | undefined): IdRanges {
  const values = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const match = /^\s*([A-Z_]+)\s+(\d+)\s*$/.exec(line);
    if (match) values.set(match[1] as string, Number(match[2]));
  }
  const get = (key: string, fallback: number) => values.get(key) ?? fallback;
  return {
    uid: {
      system: [get('SYS_UID_MIN', 100), get('SYS_UID_MAX', 999)],
      normal: [get('UID_MIN', 1000), get('UID_MAX', 60000)],
    },
    gid: {
      system: [get('SYS_GID_MIN', 100), get('SYS_GID_MAX', 999)],
      normal: [get('GID_MIN', 1000), get('GID_MAX', 60000)],
    },
  };
}
