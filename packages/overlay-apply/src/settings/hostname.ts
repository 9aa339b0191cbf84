import type { RootWriter } from '../root-writer.js';

const debianHosts = (name: string) =>
  `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n`;

/** /etc/hostname, and the `127.0.1.1 NAME` line of /etc/hosts that Debian's installer writes. */
export async function applyHostname(writer: RootWriter, name: string): Promise<void> {
  await writer.writeFile('/etc/hostname', `${name}\n`);
  const hosts = await writer.readText('/etc/hosts');
  await writer.writeFile('/etc/hosts', hosts === undefined ? debianHosts(name) : withHostLine(hosts, name));
}

function withHostLine(hosts: string, name: string): string {
  const lines = hosts.replace(/\n$/, '').split('\n');
  const line = `127.0.1.1\t${name}`;
  const existing = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (existing >= 0) {
    if (lines[existing]?.split(/\s+/).slice(1).join(' ') === name) return hosts;
    lines[existing] = line;
  } else {
    const localhost = lines.findIndex((l) => /^127\.0\.0\.1\s/.test(l));
    lines.splice(localhost + 1, 0, line);
  }
  return `${lines.join('\n')}\n`;
}
