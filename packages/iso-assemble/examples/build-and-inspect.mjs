// Build a hybrid ISO (BIOS + UEFI with Secure Boot, CD or USB) from a kernel and an initramfs,
// then look inside it. Usage: node build-and-inspect.mjs VMLINUZ INITRD
import { assembleIso, inspectIso } from '@distroforge/iso-assemble';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [kernel, initrd] = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), 'iso-example-'));
const options = {
  output: join(work, 'live.iso'),
  label: 'MYLIVE',
  kernel,
  initrd,
  kernelArgs: 'boot=live console=ttyS0',
  menu: { title: 'My live system' },
  secureBoot: true,
  sourceDateEpoch: 1700000000,
};
const iso = await assembleIso(options);
console.log(`boot: ${Object.entries(iso.boot).filter(([, on]) => on).map(([mode]) => mode).join(', ')}`);

const inside = await inspectIso(iso.path);
for (const e of inside.elTorito.entries) console.log(`El Torito ${e.index}: ${e.platform} ${e.imagePath ?? '(the ESP partition)'}`);
for (const p of inside.systemArea.gpt.partitions) console.log(`GPT ${p.index}: ${p.name}`);
for (const f of inside.files.filter((f) => f.type === 'file')) console.log(`file ${f.path}`);

const again = await assembleIso({ ...options, output: join(work, 'again.iso') });
console.log(`rebuilt byte-identical: ${again.sha256 === iso.sha256}`);
await rm(work, { recursive: true });
