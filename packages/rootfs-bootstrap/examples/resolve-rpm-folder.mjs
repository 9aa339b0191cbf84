import { resolveRpmRootfs } from '@distroforge/rootfs-bootstrap';

// A dry run against a folder of .rpm files (e.g. a mounted Rocky ISO's BaseOS/Packages): headers
// are indexed in-process (and cached), dependencies resolved as dnf would; nothing is installed.
const [folder = '/mnt/rocky/BaseOS/Packages', include = 'bash'] = process.argv.slice(2);
const plan = await resolveRpmRootfs({ source: `rpm-dir:${folder}`, include: include.split(','), architecture: 'x86_64' });
for (const p of plan.packages) console.log(`${p.name}-${p.version}.${p.architecture}  (${p.chain.join(' -> ')})`);
console.log(`install order: ${plan.order.join(' ')}`);
