import { resolveRootfs } from '@distroforge/rootfs-bootstrap';

// A dry run: the packages a bookworm minbase root filesystem with systemd needs, from the host's
// apt mirror (signature and digests verified), without installing anything.
const plan = await resolveRootfs({ suite: 'bookworm', variant: 'minbase', include: ['systemd-sysv'] });
console.log(`${plan.packages.length} packages, ${Math.round(plan.totalSize / 1e6)} MB to download`);
const systemd = plan.packages.find((p) => p.name === 'systemd');
console.log(`systemd ${systemd.version}: ${systemd.chain.join(' -> ')}`);
const essential = plan.packages.filter((p) => p.essential).map((p) => p.name);
console.log(`essential: ${essential.slice(0, 6).join(' ')} ...`);
