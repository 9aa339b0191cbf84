import { z } from 'zod';

/** Names as shadow's useradd accepts them by default (NAME_REGEX of Debian's adduser, plus `$` for machine accounts). */
const accountName = z
  .string()
  .max(32)
  .regex(/^[a-z_][a-z0-9_-]*\$?$/, 'must start with a lowercase letter or _, then lowercase letters, digits, _ or -');
const id = z.number().int().min(0).max(0xfffffffe);
/** Octal as a string ("0700", "755"): YAML would read a bare 0700 as decimal 700. */
export const octalMode = z
  .string()
  .regex(/^[0-7]{3,4}$/, 'must be an octal mode string such as "0755" or "0700"')
  .transform((text) => Number.parseInt(text, 8));
const field = z.string().regex(/^[^:\n]*$/, 'must not contain ":" or a newline');
const absolutePath = field.refine((path) => path.startsWith('/'), 'must be an absolute path');

export const passwordSchema = z.union([
  z.object({ hash: field.describe('a crypt(3) hash such as $6$..., or "!" / "*" for no password') }).strict(),
  z
    .object({
      plain: z.string().regex(/^[^\n]*$/, 'must not contain a newline'),
      salt: z
        .string()
        .regex(/^[./0-9A-Za-z]{1,16}$/, 'must be 1-16 characters of [./0-9A-Za-z]')
        .optional(),
      rounds: z.number().int().min(1000).max(999_999_999).optional(),
    })
    .strict(),
]);

export const userSchema = z
  .object({
    name: accountName,
    uid: id.optional(),
    /** System account: id from SYS_UID_MIN..SYS_UID_MAX (highest free first), no home by default. */
    system: z.boolean().default(false),
    /** Primary group (must exist or be declared); default a group named like the user. */
    group: accountName.optional(),
    /** Supplementary groups; missing ones are created as system groups. Membership is only ever added. */
    groups: z.array(accountName).default([]),
    gecos: field.optional(),
    home: absolutePath.optional(),
    createHome: z.boolean().optional(),
    homeMode: octalMode.default(0o700),
    shell: absolutePath.optional(),
    password: passwordSchema.optional(),
    /** Prefix the hash with `!` (usermod -L); false removes such a prefix. */
    locked: z.boolean().optional(),
    /** Copy the root's /etc/skel into a home we create. */
    skel: z.boolean().default(true),
  })
  .strict();

export const groupSchema = z
  .object({
    name: accountName,
    gid: id.optional(),
    /** System group: gid from SYS_GID_MIN..SYS_GID_MAX (highest free first). */
    system: z.boolean().default(true),
    members: z.array(accountName).default([]),
  })
  .strict();

export type UserInput = z.input<typeof userSchema>;
export type User = z.output<typeof userSchema>;
export type GroupInput = z.input<typeof groupSchema>;
export type Group = z.output<typeof groupSchema>;
