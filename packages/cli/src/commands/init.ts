import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { BUSYBOX_READY_MARKER } from '../pipeline/stage-busybox-initramfs.js';

export type Template = 'minimal' | 'debian-live';

const templates: Record<Template, Record<string, string>> = {
  minimal: {
    'profile.yaml': `# A busybox-only live system: builds and boots in seconds.
name: NAME
source:
  type: busybox
hostname: NAME
outputs: [initramfs]
firmware: [bios]
test:
  ready: "${BUSYBOX_READY_MARKER}"
  timeout: 180
  commands:
    - run: uname -r
      expect: amd64
`,
    'airootfs/etc/motd': 'Welcome to NAME, built by distroforge.\n',
  },
  'debian-live': {
    'profile.yaml': `# Debian bookworm live system with systemd, autologin root on tty1 and ttyS0.
name: NAME
source:
  type: apt
  suite: bookworm
  variant: minbase
kernel:
  package: linux-image-amd64
hostname: NAME
autologin:
  user: root
  consoles: [tty1, ttyS0]
outputs: [iso]
firmware: [bios, uefi]
test:
  ready: "root@NAME:~#"
  timeout: 300
  commands:
    - run: hostname
      expect: NAME
`,
    'packages.txt': '# One package per line; # starts a comment.\nsystemd-sysv\n',
    'airootfs/etc/motd': 'Welcome to NAME, built by distroforge.\n',
  },
};

/** Scaffolds a new profile directory; refuses to write into a non-empty one. */
export async function initProfile(dir: string, template: Template = 'debian-live'): Promise<string[]> {
  const target = resolve(dir);
  if (existsSync(target) && (await readdir(target)).length > 0) {
    throw new CliError('ERR_USAGE', `${dir} exists and is not empty`, {
      path: target,
      hint: 'choose a new directory name',
    });
  }
  const name =
    (target.split('/').pop() ?? 'my-distro')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+/, '') || 'my-distro';
  const written: string[] = [];
  for (const [file, text] of Object.entries(templates[template])) {
    const path = join(target, file);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text.replaceAll('NAME', name));
    written.push(file);
  }
  return written.sort();
}
