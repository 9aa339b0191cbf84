import { describe, expect, it } from 'vitest';
import { liveInitScript, liveKernelArgs, parseLiveKernelArgs, withLiveKernelArgs } from '@distroforge/initramfs-cpio';

describe('live kernel arguments', () => {
  it('writes each option as the live init reads it, in a fixed order, and parses it back', () => {
    const args = {
      root: 'image',
      label: 'DEBIAN_LIVE',
      device: '/dev/vda',
      image: '',
      layers: ['/live/a.squashfs', 'PARTUUID=1234'],
      copyToRam: true,
      timeout: 5,
      persistence: 'PARTUUID=abcd',
      modules: ['ext4', 'nvme'],
    } as const;
    const words = liveKernelArgs(args);
    expect(words).toEqual([
      'live.root=image',
      'live.label=DEBIAN_LIVE',
      'live.device=/dev/vda',
      'live.image=',
      'live.layers=/live/a.squashfs,PARTUUID=1234',
      'live.copytoram',
      'live.timeout=5',
      'live.persistence=PARTUUID=abcd',
      'live.modules=ext4,nvme',
    ]);
    expect(parseLiveKernelArgs(['console=ttyS0', ...words, 'quiet'])).toEqual({
      live: { ...args, layers: [...args.layers], modules: [...args.modules] },
      other: ['console=ttyS0', 'quiet'],
    });
    expect(parseLiveKernelArgs('live.copytoram=0 ro').live).toEqual({ copyToRam: false });
    // Every word written is one the live init's parse_cmdline has a case for.
    const script = liveInitScript();
    for (const word of words) expect(script, word).toContain(`${word.split('=')[0]}${word.includes('=') ? '=*)' : ''}`);
  });

  it('replaces or removes options of a command line, keeping the other words in order', () => {
    const direct = 'console=tty0 console=ttyS0,115200 live.device=/dev/vda live.image= live.layers=/dev/vdb quiet';
    expect(
      withLiveKernelArgs(direct, { device: undefined, image: undefined, layers: undefined, root: '9p', tag: 'rootfs' }),
    ).toEqual(['console=tty0', 'console=ttyS0,115200', 'quiet', 'live.root=9p', 'live.tag=rootfs']);
  });

  it('refuses a value the init would split or misread', () => {
    expect(() => liveKernelArgs({ label: 'MY LABEL' })).toThrow(
      expect.objectContaining({ code: 'ERR_LIVE_ARG_INVALID' }),
    );
    expect(() => liveKernelArgs({ layers: ['/a,b'] })).toThrow(
      expect.objectContaining({ code: 'ERR_LIVE_ARG_INVALID' }),
    );
    expect(() => liveKernelArgs({ init: '/sbin/$init' })).toThrow(
      expect.objectContaining({ code: 'ERR_LIVE_ARG_INVALID' }),
    );
  });
});
