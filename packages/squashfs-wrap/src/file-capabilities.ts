import { InvalidOptionsError } from './errors.js';

/** Capability numbers from linux/capability.h, in order (index = number). */
const capNames = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
] as const;

const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x1;

/**
 * Encodes capabilities in `setcap` text form (`cap_net_raw,cap_net_admin=ep`, `cap_sys_time+ep`,
 * `=ep` for all) as the `security.capability` xattr value (struct vfs_cap_data, revision 2,
 * little-endian), the bytes `setcap` writes.
 */
export function encodeFileCapabilities(text: string): Buffer {
  const sets = { e: 0n, i: 0n, p: 0n };
  const all = (1n << BigInt(capNames.length)) - 1n;
  for (const clause of text.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([a-z_0-9,]*)((?:[=+-][eip]*)+)$/.exec(clause.toLowerCase());
    if (!match) throw bad(text, `cannot parse clause ${JSON.stringify(clause)}`);
    const caps = match[1] === '' || match[1] === 'all' ? all : capMask(match[1] ?? '', text);
    for (const [, op, flags] of (match[2] ?? '').matchAll(/([=+-])([eip]*)/g)) {
      for (const flag of ['e', 'i', 'p'] as const) {
        if (op === '=') sets[flag] = flags?.includes(flag) ? sets[flag] | caps : sets[flag] & ~caps;
        else if (flags?.includes(flag)) sets[flag] = op === '+' ? sets[flag] | caps : sets[flag] & ~caps;
      }
    }
  }
  // Files carry one effective *bit*: it must cover all permitted+inheritable caps or none (as setcap requires).
  if (sets.e !== 0n && sets.e !== (sets.p | sets.i))
    throw bad(text, 'the effective set must be empty or equal to permitted+inheritable');
  const value = Buffer.alloc(20);
  value.writeUInt32LE(VFS_CAP_REVISION_2 | (sets.e === 0n ? 0 : VFS_CAP_FLAGS_EFFECTIVE), 0);
  value.writeUInt32LE(Number(sets.p & 0xffffffffn), 4);
  value.writeUInt32LE(Number(sets.i & 0xffffffffn), 8);
  value.writeUInt32LE(Number(sets.p >> 32n), 12);
  value.writeUInt32LE(Number(sets.i >> 32n), 16);
  return value;
}

function capMask(list: string, text: string): bigint {
  let mask = 0n;
  for (const name of list.split(',')) {
    const index = (capNames as readonly string[]).indexOf(name.replace(/^cap_/, ''));
    if (index < 0) throw bad(text, `unknown capability ${JSON.stringify(name)}`);
    mask |= 1n << BigInt(index);
  }
  return mask;
}

function bad(text: string, why: string): InvalidOptionsError {
  return new InvalidOptionsError(`invalid file capabilities ${JSON.stringify(text)}: ${why}`, {
    value: text,
    hint: 'use setcap text form, e.g. cap_net_raw=ep',
  });
}
