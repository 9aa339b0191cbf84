import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadProfile } from '@distroforge/cli';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
const names = (await readdir(examples, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

it('has the five example profiles', () => {
  expect(names).toEqual(['arch-live', 'debian-live', 'macpro-kvm-host', 'minimal', 'rocky-live']);
});

it.each(names)('examples/%s loads and validates', async (name) => {
  const loaded = await loadProfile(join(examples, name));
  expect(loaded.profile.name).toBe(name);
  expect(loaded.overlayDir).toBe(join(examples, name, 'airootfs'));
  if (loaded.profile.source.type === 'apt') expect(loaded.packages).toContain('systemd-sysv');
});
