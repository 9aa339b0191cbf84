import { manifestSchema } from '@distroforge/core';
import { z } from 'zod';
import { groupSchema, userSchema } from './account-schema.js';
import { isUnitName } from './unit-files.js';

const unitName = z.string().refine(isUnitName, 'must be a unit name such as foo.service or getty@tty1.service');
const scalar = z.union([z.string().regex(/^[^\n]*$/, 'must not contain a newline'), z.number(), z.boolean()]);
const word = z.string().regex(/^[A-Za-z0-9_.:+-]+$/, 'must be a single word (letters, digits, _ . : + -)');
const line = z.string().regex(/^[^\n]*$/, 'must not contain a newline');

export const servicesSchema = z
  .object({
    enable: z.array(unitName).default([]),
    disable: z.array(unitName).default([]),
    mask: z.array(unitName).default([]),
    defaultTarget: unitName.refine((n) => n.endsWith('.target'), 'must be a .target unit').optional(),
  })
  .strict();

export const autologinSchema = z
  .object({
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*\$?$/, 'must be a user name')
      .default('root'),
    /** Console devices: `tty1` (getty@) or `ttyS0`, `hvc0`, `ttyAMA0` (serial-getty@). */
    consoles: z
      .array(z.string().regex(/^[A-Za-z0-9]+$/, 'must be a device name such as tty1 or ttyS0'))
      .min(1)
      .default(['tty1', 'ttyS0']),
    /** Also enable the getty units (needed for serial consoles the kernel command line does not name). */
    enable: z.boolean().default(false),
  })
  .strict();

export const fstabEntrySchema = z
  .object({
    spec: z.string().regex(/^\S+$/, 'must be one word: UUID=..., LABEL=..., /dev/..., tmpfs'),
    file: z.string().regex(/^(\/\S*|none|swap)$/, 'must be a mount point, none or swap'),
    vfstype: z.string().regex(/^\S+$/),
    options: z.string().regex(/^\S+$/).default('defaults'),
    freq: z.number().int().min(0).default(0),
    passno: z.number().int().min(0).default(0),
  })
  .strict();

/** Everything overlay-apply can set on a root, as the CLI maps it from profile.yaml. */
export const profileSettingsSchema = z
  .object({
    /** An airootfs/-style directory copied onto the root. */
    overlay: z.string().min(1).optional(),
    /** archiso file_permissions: `{ "/etc/shadow": "0:shadow:0640", "/root": "0:0:0750" }`, recursive for directories. */
    permissions: z.record(z.string().regex(/^\//, 'must be an absolute path'), z.string()).default({}),
    users: z.array(userSchema).default([]),
    groups: z.array(groupSchema).default([]),
    services: servicesSchema.default({ enable: [], disable: [], mask: [] }),
    hostname: z
      .string()
      .max(64)
      .regex(
        /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
        'must be a valid hostname',
      )
      .optional(),
    osRelease: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'os-release keys are UPPER_CASE'), line).optional(),
    motd: z.string().optional(),
    timezone: z
      .string()
      .regex(/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/, 'must be a zone name such as Europe/Berlin')
      .optional(),
    /** `"en_US.UTF-8"` (LANG) or `{ LANG, LC_TIME, ... }`. */
    locale: z
      .union([
        word.transform((lang) => ({ LANG: lang })),
        z.record(z.string().regex(/^(LANG|LANGUAGE|LC_[A-Z]+)$/, 'must be LANG, LANGUAGE or LC_*'), word),
      ])
      .optional(),
    sysctl: z
      .record(z.string().regex(/^[A-Za-z0-9_./*-]+$/, 'must be a sysctl key such as net.ipv4.ip_forward'), scalar)
      .optional(),
    modules: z.array(word).optional(),
    /** `{ kvm: { ignore_msrs: 1 } }` or `{ kvm: "ignore_msrs=1" }`. */
    moduleOptions: z.record(word, z.union([line, z.record(word, scalar)])).optional(),
    autologin: autologinSchema.optional(),
    /** `empty` (default): systemd makes a transient id each boot; `uninitialized`: first boot; `keep`. */
    machineId: z.enum(['empty', 'uninitialized', 'keep']).default('empty'),
    /** `mask` (default) systemd-firstboot.service so an empty machine-id never prompts on the console. */
    firstboot: z.enum(['mask', 'keep']).default('mask'),
    /**
     * `auto` (default): write /etc/.updated and /var/.updated when the root's ConditionNeedsUpdate=
     * units have nothing left to do (see applyUpdateStamps), so a live image does not run them at
     * every boot; `never`.
     */
    updateStamps: z.enum(['auto', 'never']).default('auto'),
    fstab: z.array(fstabEntrySchema).optional(),
  })
  .strict();

export const applyProfileOptionsSchema = profileSettingsSchema
  .extend({
    root: z.string().min(1),
    manifest: manifestSchema,
    sourceDateEpoch: z.number().int().min(0).optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    const { enable, mask } = options.services;
    for (const [i, unit] of mask.entries()) {
      if (enable.includes(unit))
        ctx.addIssue({ code: 'custom', path: ['services', 'mask', i], message: `${unit} is also in services.enable` });
    }
    const names = new Set<string>();
    for (const [i, user] of options.users.entries()) {
      if (names.has(user.name))
        ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `user ${user.name} declared twice` });
      names.add(user.name);
    }
  });

export type ApplyProfileOptions = z.input<typeof applyProfileOptionsSchema>;
export type ParsedProfileOptions = z.output<typeof applyProfileOptionsSchema>;

export const applyOverlayOptionsSchema = z
  .object({
    root: z.string().min(1),
    overlay: z.string().min(1),
    manifest: manifestSchema,
    permissions: z.record(z.string().regex(/^\//, 'must be an absolute path'), z.string()).default({}),
    sourceDateEpoch: z.number().int().min(0).optional(),
  })
  .strict();

export type ApplyOverlayOptions = z.input<typeof applyOverlayOptionsSchema>;
