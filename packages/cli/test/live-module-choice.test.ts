// Which modules the live init loads for a profile's kernel.modules: the default list by need unless
// the profile names one of the default modules itself.
import { LIVE_MODULES } from '@distroforge/initramfs-cpio';
import { expect, it } from 'vitest';
import { liveModuleChoice } from '../src/pipeline/stage-live-initramfs.js';

it('no kernel.modules: the builder default (the default list, loaded by need)', () => {
  expect(liveModuleChoice([])).toEqual({});
});

it('extra modules join the default list, which still loads by need (the extras always load)', () => {
  expect(liveModuleChoice(['e1000e', 'igb'])).toEqual({
    modules: [...LIVE_MODULES, 'e1000e', 'igb'],
    loadModules: 'needed',
  });
});

it('a default module named by the profile (btrfs) makes every module load, that one included', () => {
  const choice = liveModuleChoice(['btrfs', 'e1000e']);
  expect(choice.loadModules).toBe('all');
  expect(choice.modules).toEqual([...LIVE_MODULES, 'e1000e']);
});
