// A build, an inventory and a test record made up for the report's tests: several stages side by
// side, packages with files in several directories, unowned files, one passing and one failing
// boot, and names and paths written to break out of HTML.
import type { BuildReport } from '../src/pipeline/build-profile.js';
import type { ReportInventory } from '../src/report/report-inventory.js';
import type { TestRecord } from '../src/report/test-record.js';

export const HOSTILE_NAME = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
export const HOSTILE_PATH = '/usr/share/"><svg onload=window.__pwned=3>/x';

export function fixtureBuild(): BuildReport {
  return {
    profile: 'fixture-live',
    sourceDateEpoch: 1_700_000_000,
    outputs: [
      { kind: 'iso', file: '/tmp/out/fixture-live.iso', bytes: 412_345_678, sha256: 'a'.repeat(64) },
      { kind: 'kernel', file: '/tmp/out/fixture-live.vmlinuz', bytes: 8_123_456, sha256: 'b'.repeat(64) },
    ],
    stages: [
      { name: 'rootfs', key: 'k1', cached: false, startMs: 0, ms: 61_234 },
      { name: 'kernel', key: 'k2', cached: true, startMs: 61_300, ms: 412 },
      { name: 'overlay', key: 'k3', cached: false, startMs: 61_300, ms: 2_345 },
      { name: 'image', key: 'k4', cached: false, startMs: 63_700, ms: 30_020 },
      { name: 'initramfs', key: 'k5', cached: false, startMs: 61_800, ms: 9_876 },
      { name: 'iso', key: 'k6', cached: false, startMs: 93_800, ms: 4_321 },
    ],
    packages: [
      { name: 'bash', version: '5.2.15-2+b7', sha256: 'c'.repeat(64) },
      { name: 'coreutils', version: '9.1-1', sha256: 'd'.repeat(64) },
    ],
    totalMs: 98_456,
  };
}

/** `count` packages (the first few named), each with files in a few directories, plus unowned files. */
export function fixtureInventory(count = 40): ReportInventory {
  const names = ['bash', 'coreutils', 'linux-image-6.1.0-amd64', 'systemd', HOSTILE_NAME];
  const packages = Array.from({ length: count }, (_, i) => {
    const name = names[i] ?? `lib-example-${String(i).padStart(3, '0')}`;
    const files = [
      { path: `/usr/lib/x86_64-linux-gnu/${name}.so.${i}`, bytes: 1000 * (count - i) * (i % 7 === 0 ? 90 : 3) + 17 },
      { path: `/usr/share/doc/${name}/copyright`, bytes: 1234 + i },
      { path: `/usr/bin/${name}`, bytes: 40_000 + i * 101 },
      ...(i === 2 ? [{ path: '/usr/lib/modules/6.1.0-amd64/kernel/drivers/gpu/big.ko', bytes: 9_000_000 }] : []),
      ...(i === 4 ? [{ path: HOSTILE_PATH, bytes: 20_000_000 }] : []),
    ];
    return {
      name,
      version: `1.${i}-${i % 3}`,
      architecture: i % 4 === 0 ? 'all' : 'amd64',
      license: i % 5 === 0 ? 'GPL-2.0-or-later' : 'MIT',
      sourcePackage: i === 1 ? 'coreutils-src' : name,
      purl: `pkg:deb/debian/${encodeURIComponent(name)}@1.${i}?arch=amd64`,
      sha256: (i % 16).toString(16).repeat(64),
      installedBytes: files.reduce((s, f) => s + f.bytes, 0),
      files,
    };
  });
  const unowned = [
    { path: '/etc/machine-id', bytes: 33 },
    { path: '/var/lib/apt/lists/deb.debian.org_Packages', bytes: 45_000_000 },
  ];
  return {
    format: 'dpkg',
    packages,
    unowned,
    totalBytes: packages.reduce((s, p) => s + p.installedBytes, 0) + unowned.reduce((s, f) => s + f.bytes, 0),
  };
}

export function fixtureTest(): TestRecord {
  return {
    profile: 'fixture-live',
    ok: false,
    outputs: fixtureBuild().outputs.map((o) => ({ file: o.file, sha256: o.sha256 })),
    boots: [
      {
        firmware: 'bios',
        medium: 'cdrom',
        ok: true,
        accel: 'tcg',
        readyMs: 41_000,
        stages: [
          { stage: 'firmware', ms: 3_100 },
          { stage: 'bootloader', ms: 1_900 },
          { stage: 'kernel', ms: 9_000 },
          { stage: 'initramfs', ms: 6_000 },
          { stage: 'system', ms: 21_000 },
        ],
        checksMs: 4_200,
        ms: 46_100,
        commands: [{ run: 'uname -r', expect: '6.1', ok: true, matched: true, exitStatus: 0, output: '6.1.0' }],
      },
      {
        firmware: 'uefi',
        medium: 'cdrom',
        ok: false,
        accel: 'tcg',
        readyMs: undefined,
        stages: [
          { stage: 'firmware', ms: 7_400 },
          { stage: 'bootloader', ms: 2_100 },
          { stage: 'kernel', ms: 10_000 },
        ],
        ms: 120_500,
        commands: [],
        error: 'ERR_QEMU_TIMEOUT: "login:" did not appear within 120 s',
        lastLines: [
          '[   19.5] Run /init as init process',
          `[   20.1] live: cannot find ${HOSTILE_NAME}`,
          '[   20.2] Kernel panic - not syncing: Attempted to kill init!',
        ],
        consoleLog: '/tmp/state/boots/uefi-cdrom.log',
      },
      {
        firmware: 'bios',
        medium: 'disk',
        ok: false,
        accel: 'tcg',
        readyMs: 30_000,
        stages: [
          { stage: 'firmware', ms: 2_000 },
          { stage: 'bootloader', ms: 1_000 },
          { stage: 'kernel', ms: 8_000 },
          { stage: 'initramfs+system', ms: 19_000 },
        ],
        checksMs: 2_500,
        ms: 33_000,
        commands: [
          {
            run: 'command -v curl',
            expect: '/usr/bin/curl',
            ok: false,
            matched: false,
            exitStatus: 1,
            output: `<b>${HOSTILE_NAME}</b>`,
          },
        ],
        lastLines: ['root@live:~# command -v curl', 'root@live:~#'],
        consoleLog: '/tmp/state/boots/bios-disk.log',
      },
    ],
  };
}
