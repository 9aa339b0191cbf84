import type { RootWriter } from '../root-writer.js';

export type MachineIdPolicy = 'empty' | 'uninitialized' | 'keep';

/**
 * A live image must not ship a machine-id: an empty /etc/machine-id makes systemd generate one in
 * RAM at every boot (read-only root friendly); `uninitialized` marks first boot (systemd >= 247)
 * so it is committed on a writable root.
 */
export async function applyMachineId(writer: RootWriter, policy: MachineIdPolicy): Promise<void> {
  if (policy === 'keep') return;
  await writer.writeFile('/etc/machine-id', policy === 'empty' ? '' : 'uninitialized\n', { mode: 0o444 });
}
