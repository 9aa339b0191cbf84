import { z } from 'zod';
import { autologinSchema, groupSchema, servicesSchema, userSchema } from '@distroforge/overlay-apply';
import { extraPartitionSchema } from '@distroforge/disk-assemble';
import { BYTE_SIZE_PATTERN } from './byte-size.js';
import { PROFILE_OUTPUTS } from '../pipeline/output-kinds.js';
import { extraTreeSchema, scriptsSchema } from './customization-schema.js';

// The profile.yaml schema: one place for everything a build needs. Strict objects everywhere, so
// an unknown (e.g. misspelt) key is an error instead of being silently ignored.

const packageName = z.string().regex(/^@?[a-z0-9][a-z0-9+.\-_:@]*$/i, 'not a package name');

const aptSource = z
  .object({
    type: z.literal('apt'),
    suite: z.string().default('bookworm').describe('Debian suite, e.g. bookworm'),
    mirror: z.string().optional().describe('mirror URL or file:// path; default: the host apt configuration'),
    components: z.array(z.string()).default(['main']).describe('archive components, e.g. [main, non-free-firmware]'),
    recommends: z
      .boolean()
      .default(false)
      .describe(
        "also install the packages' Recommends (each with its dependencies when they can be met), as apt does by default",
      ),
    variant: z
      .enum(['essential', 'minbase', 'required', 'important', 'standard'])
      .default('minbase')
      .describe("the base package set under packages.txt, as mmdebstrap's --variant of that name"),
    keyring: z.string().optional().describe('OpenPGP keyring verifying InRelease; default: Debian archive keyring'),
  })
  .strict();

const rpmSource = z
  .object({
    type: z.enum(['rpm-repo', 'rpm-dir', 'rpm-iso']),
    location: z.string().describe('repository URL/path, folder of .rpm files, or ISO file'),
    weakDeps: z.boolean().default(false).describe('install Recommends (dnf install_weak_deps)'),
    gpgCheck: z
      .enum(['off', 'report', 'require'])
      .default('off')
      .describe(
        'OpenPGP checks of repomd.xml.asc and package signatures against gpgKeys: report them, or refuse anything unverified',
      ),
    gpgKeys: z
      .array(z.string())
      .default([])
      .describe('public key files, e.g. RPM-GPG-KEY-Rocky-10 (relative to the profile)'),
  })
  .strict();

const pacmanRepoName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'not a repository name');
const pacmanSigLevel = z
  .enum(['off', 'optional', 'required'])
  .describe('package signatures against keyring: off, optional (checked when present; a bad one fails), required');
const pacmanKeyring = z
  .string()
  .optional()
  .describe(
    "folder in archlinux-keyring's layout (archlinux.gpg, archlinux-trusted, archlinux-revoked), relative to the profile; default /usr/share/keyrings (Debian's archlinux-keyring)",
  );

const pacmanSource = z
  .object({
    type: z.literal('pacman'),
    mirror: z
      .string()
      .describe(
        'a pacman Server line, $repo and $arch substituted: https://geo.mirror.pkgbuild.com/$repo/os/$arch, or file:///srv/arch/$repo',
      ),
    repos: z
      .array(pacmanRepoName)
      .min(1)
      .default(['core', 'extra'])
      .describe('repositories in pacman.conf order: the first holding a name wins'),
    arch: z.enum(['x86_64']).default('x86_64').describe('package architecture (x86_64 only for now)'),
    sigLevel: pacmanSigLevel.default('required'),
    keyring: pacmanKeyring,
  })
  .strict();

const pacmanDirSource = z
  .object({
    type: z.literal('pacman-dir'),
    location: z
      .string()
      .describe('folder of .pkg.tar.* packages, with or without its NAME.db (repo-add), relative to the profile'),
    sigLevel: pacmanSigLevel.default('optional'),
    keyring: pacmanKeyring,
  })
  .strict();

const busyboxSource = z
  .object({
    type: z.literal('busybox').describe('no package manager: a busybox-only root taken from the host busybox-static'),
  })
  .strict();

const kernel = z
  .object({
    package: z
      .string()
      .optional()
      .describe(
        'package whose vmlinuz and modules boot the image; default linux-image-amd64 (apt, busybox), kernel (RPM sources) or linux (pacman sources)',
      ),
    file: z
      .string()
      .optional()
      .describe(
        'a local kernel package file (.deb, .rpm or .pkg.tar.*, relative to the profile), e.g. a custom kernel; its package is the kernel package',
      ),
    modules: z
      .array(z.string())
      .default([])
      .describe(
        'extra modules for the initramfs, loaded on every boot (the default live modules load as the boot needs them; naming one of them, e.g. btrfs, loads them all)',
      ),
  })
  .strict()
  .describe('the kernel the image boots and the modules its initramfs carries');

/**
 * Users and groups are overlay-apply's, which applies them (one set of rules and defaults), with
 * the profile's friendlier password fields: `password` (plain) or `passwordHash`, and `comment`.
 */
const user = userSchema
  .omit({ password: true, gecos: true })
  .extend({
    name: userSchema.shape.name.describe('the account name; an existing account (e.g. root) is changed, not added'),
    uid: userSchema.shape.uid.describe(
      "default: an existing account keeps its uid; else the lowest free of UID_MIN..UID_MAX (system: the highest free of SYS_UID_MIN..SYS_UID_MAX) from the image's /etc/login.defs",
    ),
    system: userSchema.shape.system.describe('a system account: uid from the system range, no home unless createHome'),
    group: userSchema.shape.group.describe(
      'primary group (must exist or be declared in groups); default: a group named like the user',
    ),
    groups: userSchema.shape.groups.describe(
      'supplementary groups, e.g. [kvm, libvirt]; missing ones are created as system groups; membership is only ever added',
    ),
    home: userSchema.shape.home.describe('default /home/NAME'),
    createHome: userSchema.shape.createHome.describe(
      'create the home (default: for new non-system users and homes under /home), owned by the user in the image',
    ),
    homeMode: userSchema.shape.homeMode.describe('octal mode of a home it creates, e.g. "0750" (default "0700")'),
    shell: userSchema.shape.shell.describe('login shell, an absolute path such as /bin/bash'),
    locked: userSchema.shape.locked.describe('prefix the password hash with ! (usermod -L); false removes that prefix'),
    skel: userSchema.shape.skel.describe("copy the image's /etc/skel into a home it creates"),
    password: z
      .string()
      .regex(/^[^\n]*$/, 'must not contain a newline')
      .optional()
      .describe('plain text; hashed with SHA-512 crypt at build time'),
    passwordHash: z
      .string()
      .regex(/^[^:\n]*$/, 'must not contain ":" or a newline')
      .optional()
      .describe('a crypt(3) hash, or ! / * for a locked account'),
    comment: z
      .string()
      .regex(/^[^:\n]*$/, 'must not contain ":" or a newline')
      .optional()
      .describe('the GECOS field (full name)'),
  })
  .strict()
  .refine((u) => !(u.password !== undefined && u.passwordHash !== undefined), {
    message: 'give password or passwordHash, not both',
    path: ['passwordHash'],
  });

const group = groupSchema
  .extend({
    gid: groupSchema.shape.gid.describe(
      'default: an existing group keeps its gid; a new one gets a free gid of its range',
    ),
    system: groupSchema.shape.system.describe('take the gid from the system range'),
    members: groupSchema.shape.members.describe('users added to the group (membership is only ever added)'),
  })
  .strict();

const menuEntry = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .describe('a word of a-z, 0-9 and -'),
    title: z.string().describe('the text the menu shows'),
    append: z.string().default('').describe("kernel arguments added to this entry's command line, e.g. nomodeset"),
  })
  .strict();

const testCommand = z
  .object({
    run: z.string().describe('a shell command sent to the guest console'),
    expect: z.string().describe('text (or /regex/) that must appear in its output'),
    timeout: z.number().positive().default(60).describe('seconds this check may take'),
  })
  .strict();

/** "512M", "4G", "1T" or a number of bytes. */
const byteSize = z.union([
  z.number().int().positive(),
  z.string().regex(BYTE_SIZE_PATTERN, 'a size such as "512M", "4G" or a number of bytes'),
]);

/** disk-assemble's extra partition, its size written with a unit (`512M`, `2G`) as in the rest of the profile. */
const diskPartition = extraPartitionSchema
  .extend({
    type: extraPartitionSchema.shape.type.describe('swap, home, var, linux-data... or a partition type GUID'),
    size: byteSize,
    filesystem: extraPartitionSchema.shape.filesystem.describe('default: swap for the swap type, else none'),
    mountPoint: extraPartitionSchema.shape.mountPoint.describe('ext4 only: where /etc/fstab mounts it, e.g. /var'),
  })
  .strict();

/** The `test` section: what `distroforge test` waits for and checks in the booted guest. */
export const testSchema = z
  .object({
    ready: z
      .string()
      .describe('console text that means the system is up (e.g. a shell prompt, or a login prompt with login)'),
    login: z
      .object({
        user: z.string().default('root').describe('the user name sent at the login prompt'),
        password: z.string().optional().describe('sent when the console asks for a password'),
        prompt: z.string().default('# ').describe('shell prompt text that follows a successful login'),
      })
      .strict()
      .optional()
      .describe('log in on the serial console once ready shows (for systems without autologin)'),
    timeout: z.number().positive().default(300).describe('seconds from QEMU start until ready must show'),
    commands: z
      .array(testCommand)
      .default([])
      .describe('checks run in order once ready: each passes when its output matches expect and it exits 0'),
    memory: z.number().int().positive().default(1024).describe('guest memory in MiB'),
  })
  .strict()
  .describe('what distroforge test waits for and checks in each booted guest (see docs/boot-testing.md)');

export const firmwareSchema = z.enum(['bios', 'uefi', 'uefi-secureboot']);

export const profileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
      .describe(
        'lower-case letters, digits and dashes; names the outputs (out/NAME.iso) and, upper-cased, the ISO volume label',
      ),
    description: z.string().optional().describe('the boot menu title (default: name)'),
    source: z
      .discriminatedUnion('type', [aptSource, rpmSource, pacmanSource, pacmanDirSource, busyboxSource])
      .describe(
        'where the packages come from: apt (Debian, Ubuntu), rpm-repo / rpm-dir / rpm-iso, pacman / pacman-dir (Arch), or busybox (no packages)',
      ),
    packages: z.array(packageName).default([]).describe('packages besides packages.txt'),
    extraPackageFiles: z
      .array(z.string())
      .default([])
      .describe(
        "local package files to install too (.deb for apt, .rpm for RPM, .pkg.tar.* for pacman sources; relative to the profile); each wins over the source's package of the same name",
      ),
    kernel: kernel.default({ modules: [] }),
    hostname: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'not a valid hostname')
      .optional()
      .describe('/etc/hostname and the 127.0.1.1 line of /etc/hosts'),
    users: z
      .array(user)
      .prefault([])
      .describe(
        "accounts added to (or changed in) the image's passwd, shadow and group files, without running useradd",
      ),
    groups: z.array(group).default([]).describe('groups created if missing, members added'),
    services: servicesSchema
      .extend({
        enable: servicesSchema.shape.enable.describe(
          'units enabled as systemctl --root enable would (their [Install] links), e.g. [libvirtd.service, getty@tty2.service]',
        ),
        disable: servicesSchema.shape.disable.describe('units whose [Install] links are removed'),
        mask: servicesSchema.shape.mask.describe('units linked to /dev/null'),
        defaultTarget: servicesSchema.shape.defaultTarget.describe('the default.target link, e.g. multi-user.target'),
      })
      .strict()
      .default({ enable: [], disable: [], mask: [] })
      .describe(
        'systemd units, linked without running systemctl; a unit no package or airootfs/ file provides is an error',
      ),
    permissions: z
      .record(z.string(), z.string().regex(/^\d+:\d+:[0-7]{3,4}$/, 'expected "uid:gid:mode", e.g. "0:0:750"'))
      .default({})
      .describe(
        'archiso\'s file_permissions: image path -> "uid:gid:mode" (numeric ids, octal mode), e.g. "/etc/shadow": "0:42:0640"; recursive for directories; applied last, to the image\'s manifest (nothing is chowned on the host)',
      ),
    autologin: autologinSchema
      .omit({ enable: true })
      .extend({
        user: autologinSchema.shape.user.describe('the user logged in'),
        consoles: autologinSchema.shape.consoles.describe(
          'tty1... (getty@) or serial consoles such as ttyS0 (serial-getty@)',
        ),
      })
      .strict()
      .optional()
      .describe('log a user in without a password on these consoles (agetty --autologin drop-ins)'),
    sysctl: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .default({})
      .describe('kernel parameters written to /etc/sysctl.d/90-distroforge.conf, e.g. { vm.swappiness: 10 }'),
    modules: z
      .object({
        load: z
          .array(z.string())
          .default([])
          .describe('modules the booted system loads (/etc/modules-load.d/distroforge.conf)'),
        options: z
          .record(z.string(), z.string())
          .default({})
          .describe('module -> its options, e.g. { kvm: "ignore_msrs=1" } (/etc/modprobe.d/distroforge.conf)'),
      })
      .strict()
      .default({ load: [], options: {} })
      .describe("the booted system's kernel modules (the initramfs's are kernel.modules)"),
    timezone: z
      .string()
      .optional()
      .describe('e.g. Europe/Berlin: /etc/localtime and /etc/timezone; the zone must exist in the image (tzdata)'),
    locale: z
      .string()
      .optional()
      .describe('LANG, e.g. en_US.UTF-8, written to /etc/locale.conf and /etc/default/locale'),
    boot: z
      .object({
        label: z
          .string()
          .regex(/^[A-Z0-9_]{1,32}$/, 'ISO volume labels: A-Z, 0-9 and _ (at most 32)')
          .optional()
          .describe(
            'the ISO volume label GRUB and the live init find the medium by; default: name upper-cased, - as _',
          ),
        kernelArgs: z
          .array(z.string())
          .default([])
          .describe(
            'words added to the kernel command line of every boot (ISO, disk, direct), e.g. [quiet] or [live.copytoram]',
          ),
        timeout: z
          .number()
          .int()
          .min(0)
          .default(3)
          .describe('seconds the GRUB menu waits before booting the first entry'),
        menu: z
          .array(menuEntry)
          .default([])
          .describe('entries added to the ISO menu after its own (live, safe mode, copy to RAM, local disk)'),
      })
      .strict()
      .default({ kernelArgs: [], timeout: 3, menu: [] })
      .describe('the GRUB menu and kernel command line'),
    image: z
      .object({
        compression: z
          .enum(['zstd', 'xz', 'gzip', 'lz4'])
          .default('zstd')
          .describe('squashfs compressor (EROFS images are written uncompressed)'),
        level: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('compression level; default for zstd: 1, or 15 with --release'),
        type: z
          .enum(['squashfs', 'erofs'])
          .default('squashfs')
          .describe('erofs: see the EROFS limits in packages/squashfs-wrap/README.md'),
      })
      .strict()
      .default({ compression: 'zstd', type: 'squashfs' })
      .describe('the read-only root image of the ISO (and of a disk with root: image)'),
    disk: z
      .object({
        root: z
          .enum(['ext4', 'image'])
          .default('ext4')
          .describe(
            "ext4: a read-write root partition; image: the read-only squashfs/EROFS image (the ISO's) as the root partition, with a data partition of freeSpace holding the overlay's writable layer",
          ),
        size: byteSize
          .optional()
          .describe('whole disk size; default: content + freeSpace (+ ESP and extra partitions)'),
        freeSpace: byteSize
          .default('512M')
          .describe("free space in the ext4 root (root: image: the data partition's size) when size is not given"),
        format: z
          .enum(['raw', 'qcow2'])
          .default('raw')
          .describe('raw (NAME.img, for dd) or qcow2 (NAME.qcow2, for QEMU and libvirt)'),
        partitions: z.array(diskPartition).default([]).describe('extra partitions between the ESP and the root'),
      })
      .strict()
      .default({ root: 'ext4', freeSpace: '512M', format: 'raw', partitions: [] })
      .describe('the GPT disk image of the disk output'),
    outputs: z
      .array(z.enum(PROFILE_OUTPUTS))
      .min(1)
      .default(['iso'])
      .describe(
        'what build publishes in out/: iso (hybrid ISO), disk (GPT disk image), initramfs (kernel + initramfs), squashfs (the root image), rootfs-tar (the root as a tarball)',
      ),
    firmware: z
      .array(firmwareSchema)
      .min(1)
      .default(['bios', 'uefi'])
      .describe(
        "what the ISO and disk boot on, and test boots in: bios, uefi, uefi-secureboot (Debian's signed shim, GRUB and kernel)",
      ),
    sourceDateEpoch: z.number().int().min(0).optional().describe('fallback when SOURCE_DATE_EPOCH is not set'),
    scripts: scriptsSchema.prefault({}),
    extraTrees: z
      .array(extraTreeSchema)
      .default([])
      .describe('host folders or tarballs copied into the image after airootfs/'),
    test: testSchema.optional(),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

/** The kernel package a profile boots: `kernel.package`, else its source's usual one. */
export function kernelPackageOf(profile: Profile): string {
  const type = profile.source.type;
  return (
    profile.kernel.package ??
    (type.startsWith('rpm-') ? 'kernel' : type.startsWith('pacman') ? 'linux' : 'linux-image-amd64')
  );
}
export type ProfileInput = z.input<typeof profileSchema>;
