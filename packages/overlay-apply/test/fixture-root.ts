// A minimal Debian bookworm-like root built in the test: merged-usr symlinks, base-passwd style
// account files, login.defs, skel, os-release via symlink, a resolv.conf symlink into /run, and
// unit files copied from the host's real Debian units when present (else written here).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, readlink, lstat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';

export const passwd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
messagebus:x:100:107::/nonexistent:/usr/sbin/nologin
`;

export const group = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
mail:x:8:
man:x:12:
sudo:x:27:
audio:x:29:
www-data:x:33:
shadow:x:42:
utmp:x:43:
users:x:100:
nogroup:x:65534:
systemd-journal:x:999:
systemd-network:x:998:
messagebus:x:107:
`;

export const shadow = `root:*:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
bin:*:19700:0:99999:7:::
sys:*:19700:0:99999:7:::
sync:*:19700:0:99999:7:::
games:*:19700:0:99999:7:::
man:*:19700:0:99999:7:::
mail:*:19700:0:99999:7:::
www-data:*:19700:0:99999:7:::
_apt:*:19700:0:99999:7:::
nobody:*:19700:0:99999:7:::
systemd-network:!*:19700::::::
messagebus:!:19700::::::
`;

export const gshadow = group
  .trimEnd()
  .split('\n')
  .map((line) => `${line.split(':')[0]}:*::`)
  .join('\n')
  .concat('\n');

// Debian's login.defs leaves SYS_UID_MIN/MAX commented out (so the 100-999 defaults apply).
const loginDefs = `# /etc/login.defs - Configuration control definitions for the login package.
MAIL_DIR        /var/mail
PASS_MAX_DAYS   99999
PASS_MIN_DAYS   0
PASS_WARN_AGE   7
UID_MIN                  1000
UID_MAX                 60000
#SYS_UID_MIN              100
#SYS_UID_MAX              999
GID_MIN                  1000
GID_MAX                 60000
#SYS_GID_MIN              100
#SYS_GID_MAX              999
ENCRYPT_METHOD SHA512
`;

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

/** Unit files: real ones from the host when it has them, else these bookworm-faithful copies. */
const hostUnits: Record<string, string> = {
  'getty@.service': `[Unit]\nDescription=Getty on %I\nAfter=systemd-user-sessions.service plymouth-quit-wait.service getty-pre.target\nBefore=getty.target\n\n[Service]\nExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM\nType=idle\nRestart=always\nUtmpIdentifier=%I\nStandardInput=tty\nStandardOutput=tty\nTTYPath=/dev/%I\n\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n`,
  'serial-getty@.service': `[Unit]\nDescription=Serial Getty on %I\nBindsTo=dev-%i.device\nAfter=dev-%i.device systemd-user-sessions.service\nBefore=getty.target\n\n[Service]\nExecStart=-/sbin/agetty -o '-p -- \\\\u' --keep-baud 115200,57600,38400,9600 - $TERM\nType=idle\nRestart=always\nUtmpIdentifier=%I\nStandardInput=tty\nStandardOutput=tty\nTTYPath=/dev/%I\n\n[Install]\nWantedBy=getty.target\n`,
  'getty.target': `[Unit]\nDescription=Login Prompts\nDocumentation=man:systemd.special(7)\n`,
  'multi-user.target': `[Unit]\nDescription=Multi-User System\nRequires=basic.target\nConflicts=rescue.service rescue.target\nAfter=basic.target rescue.service rescue.target\nAllowIsolate=yes\n`,
  'graphical.target': `[Unit]\nDescription=Graphical Interface\nRequires=multi-user.target\nWants=display-manager.service\nAllowIsolate=yes\n`,
  'sockets.target': `[Unit]\nDescription=Sockets\n`,
  'systemd-firstboot.service': `[Unit]\nDescription=First Boot Wizard\nConditionPathIsReadWrite=/etc\nConditionFirstBoot=yes\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=systemd-firstboot --prompt-locale --prompt-timezone --prompt-root-password\nStandardOutput=tty\nStandardInput=tty\nStandardError=tty\n`,
  'systemd-networkd.service': `[Unit]\nDescription=Network Configuration\n\n[Service]\nExecStart=!!/lib/systemd/systemd-networkd\n\n[Install]\nWantedBy=multi-user.target\nAlso=systemd-networkd.socket\nAlias=dbus-org.freedesktop.network1.service\n`,
  'systemd-networkd.socket': `[Unit]\nDescription=Network Service Netlink Socket\n\n[Socket]\nReceiveBuffer=128M\nListenNetlink=route 1361\n\n[Install]\nWantedBy=sockets.target\n`,
};

/** Units of our own, exercising RequiredBy, templates with DefaultInstance, specifiers and static units. */
const testUnits: Record<string, string> = {
  'fancy.service': `[Unit]\nDescription=Fancy\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\nRequiredBy=graphical.target\nAlias=fancy-alias.service\nAlso=fancy.socket\n`,
  'fancy.socket': `[Socket]\nListenStream=/run/fancy.sock\n\n[Install]\nWantedBy=sockets.target\n`,
  'worker@.service': `[Service]\nExecStart=/bin/echo %i\n\n[Install]\nWantedBy=multi-user.target\nAlias=job@.service\nDefaultInstance=main\n`,
  'static.service': `[Service]\nExecStart=/bin/true\n`,
  'reset.service': `[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=graphical.target\nWantedBy=\nWantedBy=multi-user.target\n`,
};

export const hostHasDebianUnits = existsSync('/lib/systemd/system/getty@.service');

async function put(root: string, path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content, { mode });
}

export async function makeFixtureRoot(prefix = 'overlay-apply-root-', parent = tmpdir()): Promise<string> {
  const root = await mkdtemp(join(parent, prefix));
  for (const dir of [
    'usr/bin',
    'usr/sbin',
    'usr/lib/systemd/system',
    'etc/systemd/system',
    'run',
    'home',
    'root',
    'var',
    'tmp',
    'dev',
  ]) {
    await mkdir(join(root, dir), { recursive: true });
  }
  for (const link of ['bin', 'sbin', 'lib']) await symlink(`usr/${link}`, join(root, link));
  await put(root, '/etc/passwd', passwd);
  await put(root, '/etc/group', group);
  await put(root, '/etc/shadow', shadow, 0o640);
  await put(root, '/etc/gshadow', gshadow, 0o640);
  await put(root, '/etc/login.defs', loginDefs);
  await put(
    root,
    '/etc/hosts',
    '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n',
  );
  await put(root, '/etc/fstab', '# UNCONFIGURED FSTAB FOR BASE SYSTEM\n');
  await put(root, '/etc/skel/.bashrc', '# ~/.bashrc: executed by bash(1) for non-login shells.\n');
  await put(root, '/etc/skel/.profile', '# ~/.profile: executed by the command interpreter for login shells.\n');
  await put(root, '/etc/skel/.config/placeholder', '');
  await put(root, '/usr/lib/os-release', osRelease);
  await symlink('../usr/lib/os-release', join(root, 'etc/os-release'));
  await mkdir(join(root, 'run/systemd/resolve'), { recursive: true });
  await put(root, '/run/systemd/resolve/stub-resolv.conf', 'nameserver 127.0.0.53\n');
  await symlink('../run/systemd/resolve/stub-resolv.conf', join(root, 'etc/resolv.conf'));
  await put(
    root,
    '/usr/share/zoneinfo/Europe/Berlin',
    existsSync('/usr/share/zoneinfo/Europe/Berlin') ? await readFile('/usr/share/zoneinfo/Europe/Berlin') : 'TZif2',
  );
  await put(
    root,
    '/usr/share/zoneinfo/Etc/UTC',
    existsSync('/usr/share/zoneinfo/Etc/UTC') ? await readFile('/usr/share/zoneinfo/Etc/UTC') : 'TZif2',
  );
  for (const [name, fallback] of Object.entries(hostUnits)) {
    const host = `/lib/systemd/system/${name}`;
    if (hostHasDebianUnits && existsSync(host)) await copyFile(host, join(root, 'usr/lib/systemd/system', name));
    else await put(root, `/usr/lib/systemd/system/${name}`, fallback);
  }
  for (const [name, text] of Object.entries(testUnits)) await put(root, `/usr/lib/systemd/system/${name}`, text);
  // Aliases shipped as symlinks, as Debian ships dbus-org.freedesktop.*.service and autovt@.service.
  await symlink('fancy.service', join(root, 'usr/lib/systemd/system/fancy-link.service'));
  await symlink('getty@.service', join(root, 'usr/lib/systemd/system/autovt@.service'));
  await symlink('/dev/null', join(root, 'usr/lib/systemd/system/hwclock.service'));
  return root;
}

/** Every node under `dir`: path -> type, mode, content hash or link target (for byte-for-byte comparisons). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = `${rel}/${name}`;
      const stats = await lstat(join(dir, path));
      if (stats.isSymbolicLink()) out[path] = `link ${await readlink(join(dir, path))}`;
      else if (stats.isDirectory()) {
        out[path] = `dir ${(stats.mode & 0o7777).toString(8)}`;
        await walk(path);
      } else
        out[path] = `file ${(stats.mode & 0o7777).toString(8)} ${createHash('sha256')
          .update(await readFile(join(dir, path)))
          .digest('hex')} ${stats.mtimeMs}`;
    }
  }
  await walk('');
  return out;
}

/** Symlinks under /etc/systemd/system as `path -> target`, for comparison with systemctl. */
export async function unitLinks(root: string): Promise<string[]> {
  const snap = await snapshot(join(root, 'etc/systemd/system'));
  return Object.entries(snap)
    .filter(([, v]) => v.startsWith('link '))
    .map(([k, v]) => `${k} -> ${v.slice(5)}`)
    .sort();
}
