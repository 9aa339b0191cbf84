/** One stage of a boot, or consecutive stages joined by `+` where the console showed no milestone between them, and how long it took (ms). */
export interface BootStage {
  stage: string;
  ms: number;
}

/**
 * The console text that ends each stage, in boot order: the boot loader's first words (GRUB's menu
 * header), the kernel's banner, the kernel starting the initramfs' init, the live init handing over
 * to the system's init. The last stage ends at the readiness text.
 */
const stageEnds: { stage: string; end: RegExp }[] = [
  { stage: 'firmware', end: /GNU GRUB {1,2}version|Welcome to GRUB/ },
  { stage: 'bootloader', end: /Linux version \d/ },
  { stage: 'kernel', end: /Run \/\S*init as init process/ },
  { stage: 'initramfs', end: /live: switching to / },
];

/**
 * A boot's stages from when the console first showed each milestone (`firstSeen`, ms since QEMU
 * started). A milestone the console never showed (no boot loader in a direct kernel boot, a kernel
 * booted with `quiet`, an initramfs that is the whole system) folds its stage into the next one;
 * `readyMs` undefined (the boot failed) gives the stages completed so far.
 */
export function bootStages(
  firstSeen: (pattern: RegExp) => number | undefined,
  readyMs: number | undefined,
): BootStage[] {
  const stages: BootStage[] = [];
  let since = 0;
  let pending: string[] = [];
  for (const { stage, end } of stageEnds) {
    pending.push(stage);
    const at = firstSeen(end);
    if (at === undefined || at < since || (readyMs !== undefined && at > readyMs)) continue;
    stages.push({ stage: pending.join('+'), ms: at - since });
    since = at;
    pending = [];
  }
  if (readyMs !== undefined) stages.push({ stage: [...pending, 'system'].join('+'), ms: readyMs - since });
  return stages;
}

/** `firmware 0.9 s, bootloader 2.1 s, ...` */
export function formatBootStages(stages: readonly BootStage[]): string {
  return stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(1)} s`).join(', ');
}
