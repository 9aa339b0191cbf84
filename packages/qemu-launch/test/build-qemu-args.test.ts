import { describe, expect, it } from 'vitest';
import { buildQemuArgs, resolveLaunchOptions, type LaunchOptions } from '@distroforge/qemu-launch';

const ctx = { accel: 'tcg' as const, qmpSocket: '/run/q/qmp.sock' };
const args = (options: LaunchOptions, extra = {}) => buildQemuArgs(resolveLaunchOptions(options), { ...ctx, ...extra });
/** The value following each occurrence of `flag`. */
const values = (list: string[], flag: string) => list.flatMap((a, i) => (a === flag ? [list[i + 1] as string] : []));

describe('buildQemuArgs', () => {
  it('direct kernel boot, headless, serial on stdio, QMP on our socket', () => {
    expect(args({ kernel: '/k', initrd: '/i', append: 'console=ttyS0' })).toEqual([
      '-nodefaults',
      '-no-user-config',
      '-name',
      'qemu',
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-m',
      '512M',
      '-smp',
      '1',
      '-display',
      'none',
      '-chardev',
      'stdio,id=serial0,signal=off',
      '-serial',
      'chardev:serial0',
      '-chardev',
      'socket,id=qmp0,path=/run/q/qmp.sock',
      '-mon',
      'chardev=qmp0,mode=control',
      '-no-reboot',
      '-kernel',
      '/k',
      '-initrd',
      '/i',
      '-append',
      'console=ttyS0',
      '-nic',
      'none',
    ]);
  });

  it('KVM uses the host CPU model unless one is given', () => {
    expect(values(args({}, { accel: 'kvm' }), '-cpu')).toEqual(['host']);
    expect(values(args({ cpu: 'max' }, { accel: 'kvm' }), '-cpu')).toEqual(['max']);
    expect(values(args({}), '-cpu')).toEqual([]);
  });

  it('ISO on q35 is an AHCI CD-ROM, on pc an IDE one; it boots first unless boot: disk', () => {
    const q35 = args({ iso: '/a,b.iso', disks: ['/d.qcow2'] });
    expect(values(q35, '-drive')).toEqual([
      'if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=/a,,b.iso',
      'if=none,id=disk0,format=qcow2,file=/d.qcow2',
    ]);
    expect(values(q35, '-device')).toEqual([
      'ide-cd,drive=cd0,bus=ide.2,bootindex=0',
      'virtio-blk-pci,drive=disk0,bootindex=1',
    ]);
    const pc = args({ machine: 'pc', iso: '/x.iso', disks: ['/d.img'], boot: 'disk' });
    expect(values(pc, '-device')).toEqual([
      'ide-cd,drive=cd0,bus=ide.1,unit=0,bootindex=1',
      'virtio-blk-pci,drive=disk0,bootindex=0',
    ]);
  });

  it('direct kernel boot leaves bootindex to the linuxboot ROM (disks and CD-ROM get none)', () => {
    const direct = args({
      kernel: '/k',
      iso: '/x.iso',
      disks: [{ path: '/root.squashfs', format: 'raw', readOnly: true }],
    });
    expect(values(direct, '-device')).toEqual(['ide-cd,drive=cd0,bus=ide.2', 'virtio-blk-pci,drive=disk0']);
  });

  it('disks on every interface, with one controller each', () => {
    const list = args({
      machine: 'pc',
      snapshot: true,
      disks: [
        { path: '/u1.img', interface: 'usb', removable: true },
        { path: '/u2.img', interface: 'usb', readOnly: true },
        { path: '/i.img', interface: 'ide', serial: 'IDE1' },
        { path: '/s.img', interface: 'sata', snapshot: true },
        { path: '/n.img', interface: 'nvme' },
      ],
    });
    expect(values(list, '-device')).toEqual([
      'qemu-xhci,id=xhci0',
      'usb-storage,bus=xhci0.0,drive=disk0,removable=on,bootindex=0',
      'usb-storage,bus=xhci0.0,drive=disk1,bootindex=1',
      'ide-hd,drive=disk2,bus=ide.0,unit=0,serial=IDE1,bootindex=2',
      'ahci,id=ahci0',
      'ide-hd,drive=disk3,bus=ahci0.0,bootindex=3',
      'nvme,drive=disk4,serial=nvme4,bootindex=4',
    ]);
    expect(values(list, '-drive')[1]).toBe('if=none,id=disk1,format=raw,readonly=on,file=/u2.img');
    expect(values(list, '-drive')[3]).toBe('if=none,id=disk3,format=raw,snapshot=on,file=/s.img');
    expect(list).toContain('-snapshot');
  });

  it('runs out of IDE ports with a typed error', () => {
    const disks = Array.from({ length: 4 }, (_, i) => ({ path: `/d${i}`, interface: 'ide' as const }));
    expect(() => args({ machine: 'pc', iso: '/x.iso', disks })).toThrow(
      expect.objectContaining({ code: 'ERR_QEMU_OPTIONS', value: 'disks.3' }),
    );
  });

  it('UEFI firmware as pflash; Secure Boot adds SMM and the secure flash', () => {
    const list = args(
      { firmware: 'uefi', secureBoot: true },
      { uefi: { code: '/ovmf/CODE.ms.fd', vars: '/run/q/VARS.fd' } },
    );
    expect(values(list, '-machine')).toEqual(['q35,smm=on']);
    expect(values(list, '-global')).toEqual(['driver=cfi.pflash01,property=secure,value=on']);
    expect(values(list, '-drive')).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/ovmf/CODE.ms.fd',
      'if=pflash,format=raw,unit=1,file=/run/q/VARS.fd',
    ]);
  });

  it('user network with port forwards, 9p and virtiofs shares, display, extra args last', () => {
    const list = args(
      {
        memory: '1G',
        network: {
          hostfwd: [
            { hostPort: 2222, guestPort: 22 },
            { protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 5353, guestPort: 53 },
          ],
        },
        shares: [
          { path: '/srv/root', tag: 'root', readOnly: true },
          { path: '/srv/fast', tag: 'fast', type: 'virtiofs' },
        ],
        display: 'gtk',
        extraArgs: ['-rtc', 'base=utc'],
      },
      { virtiofsSockets: new Map([['fast', '/run/q/vfs.sock']]) },
    );
    expect(values(list, '-nic')).toEqual([
      'user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-:53',
    ]);
    expect(values(list, '-fsdev')).toEqual(['local,id=fs0,path=/srv/root,security_model=none,readonly=on']);
    expect(values(list, '-device')).toEqual([
      'virtio-9p-pci,fsdev=fs0,mount_tag=root',
      'vhost-user-fs-pci,chardev=vfs1,tag=fast',
    ]);
    expect(values(list, '-machine')).toEqual(['q35,memory-backend=mem0']);
    expect(values(list, '-object')).toEqual(['memory-backend-memfd,id=mem0,size=1024M,share=on']);
    expect(values(list, '-display')).toEqual(['gtk']);
    expect(list.slice(-2)).toEqual(['-rtc', 'base=utc']);
  });

  it('does not mutate the options it is given', () => {
    const options = { disks: ['/a.img'], network: { hostfwd: [{ hostPort: 1, guestPort: 2 }] } } as const;
    const copy = structuredClone(options);
    args(options as unknown as LaunchOptions);
    expect(options).toEqual(copy);
  });
});
