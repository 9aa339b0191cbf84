import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyProfileOptionsSchema, profileSettingsSchema } from '../src/index.js';
import { ColonFile } from '../src/colon-file.js';
import { parseLoginDefs } from '../src/login-defs.js';

describe('option schemas', () => {
  it('convert to a JSON Schema (input side) for the CLI profile schema', () => {
    const schema = z.toJSONSchema(profileSettingsSchema, { io: 'input' }) as {
      properties: Record<string, unknown>;
      additionalProperties?: unknown;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        'autologin',
        'firstboot',
        'updateStamps',
        'fstab',
        'groups',
        'hostname',
        'locale',
        'machineId',
        'modules',
        'moduleOptions',
        'motd',
        'osRelease',
        'overlay',
        'permissions',
        'services',
        'sysctl',
        'timezone',
        'users',
      ].sort(),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('fills defaults and converts octal mode strings', () => {
    const parsed = applyProfileOptionsSchema.parse({
      root: '/r',
      manifest: { format: 'distroforge-manifest', version: 1, entries: [] },
      users: [{ name: 'a', homeMode: '0750' }],
    });
    expect(parsed.users[0]).toMatchObject({ name: 'a', homeMode: 0o750, system: false, groups: [], skel: true });
    expect(parsed.services).toEqual({ enable: [], disable: [], mask: [] });
    expect(parsed.machineId).toBe('empty');
    expect(parsed.firstboot).toBe('mask');
  });
});

describe('account file editing', () => {
  it('keeps comments, NIS lines and untouched entries byte-for-byte', () => {
    const text = '# comment\nroot:x:0:0:root:/root:/bin/bash\n+@netgroup::::::\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n';
    const file = new ColonFile(text);
    expect(file.toString()).toBe(text);
    file.set(['bin', 'x', '2', '2', 'bin', '/bin', '/bin/sh']);
    file.set(['new', 'x', '1000', '1000', '', '/home/new', '/bin/bash']);
    expect(file.toString()).toBe(
      '# comment\nroot:x:0:0:root:/root:/bin/bash\n+@netgroup::::::\nbin:x:2:2:bin:/bin:/bin/sh\nnew:x:1000:1000::/home/new:/bin/bash\n',
    );
    expect(file.entries().map((f) => f[0])).toEqual(['root', 'bin', 'new']);
  });

  it('reads id ranges from login.defs, ignoring commented keys', () => {
    expect(parseLoginDefs('UID_MIN 500\n#SYS_UID_MIN 200\nSYS_GID_MAX   400\n')).toEqual({
      uid: { system: [100, 999], normal: [500, 60000] },
      gid: { system: [100, 400], normal: [1000, 60000] },
    });
    expect(parseLoginDefs(undefined).uid.normal).toEqual([1000, 60000]);
  });
});
