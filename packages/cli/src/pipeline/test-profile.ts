import { availableParallelism } from 'node:os';
import { formatMs, type Reporter } from '../output/reporter.js';
import type { BuildReport } from './build-profile.js';
import { bootAndCheck, describeCheckFailure, type BootMode, type BootVerdict, type TestSection } from './boot-test.js';
import { formatBootStages } from './boot-stages.js';

export interface TestRun {
  /** What was built (or the image to boot as is). */
  report: BuildReport;
  test: TestSection;
  modes: readonly BootMode[];
  /** Where console logs and boot-time disk copies go. */
  bootsDir: string;
  /** Boots run side by side; each guest gets the host's cores / jobs vCPUs (TCG runs a thread per vCPU). */
  jobs: number;
  reporter: Reporter;
}

/**
 * `distroforge test` after the build: boots every mode, `jobs` at a time (a persistence pair —
 * write, then check on the same image — in order), reports each boot as a stage, and returns the
 * verdicts in the order of `modes`. A failed boot says why, which checks failed, and its last
 * console lines.
 */
export async function testProfile(run: TestRun): Promise<BootVerdict[]> {
  const { report, test, modes, bootsDir, reporter } = run;
  const cpus = Math.max(1, Math.floor(availableParallelism() / run.jobs));
  const verdicts: BootVerdict[] = new Array(modes.length);
  const bootOne = async (index: number) => {
    const mode = modes[index] as BootMode;
    const name = `boot ${mode.firmware}/${mode.medium}`;
    reporter.emit({ type: 'stage-start', stage: name });
    const started = performance.now();
    const verdict = await bootAndCheck(mode, report, test, bootsDir, { cpus });
    verdicts[index] = verdict;
    reporter.emit({
      type: 'stage-end',
      stage: name,
      cached: false,
      failed: !verdict.ok,
      ms: performance.now() - started,
      detail: verdict.ok
        ? `ready in ${formatMs(verdict.readyMs ?? 0)} (${verdict.accel}: ${formatBootStages(verdict.stages)}), ${verdict.commands.length} checks passed${verdict.persistence ? `, persistence ${verdict.persistence}` : ''}`
        : `FAILED${verdict.stages.length ? ` after ${formatBootStages(verdict.stages)}` : ''}`,
    });
    if (reporter.verbose && verdict.kernelBoot) reporter.say(`  ${name}: kernel entered through ${verdict.kernelBoot}`);
    if (!verdict.ok) {
      const failedChecks = verdict.commands.filter((c) => !c.ok).length;
      reporter.say(`FAIL ${name}: ${verdict.error ?? `${failedChecks} of ${verdict.commands.length} checks failed`}`);
      for (const c of verdict.commands.filter((c) => !c.ok)) reporter.say(`  ${describeCheckFailure(c)}`);
      for (const line of verdict.lastLines ?? []) reporter.say(`  | ${line}`);
      if (verdict.consoleLog) reporter.say(`  console log: ${verdict.consoleLog}`);
    }
  };
  const chains = bootChains(modes);
  let next = 0;
  const worker = async () => {
    while (next < chains.length) {
      const chain = chains[next++] as number[];
      for (const index of chain) await bootOne(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.jobs, chains.length) }, worker));
  return verdicts;
}

/** Groups boot indices: a persistence pair (write, then check on the same image) is one chain. */
export function bootChains(modes: readonly BootMode[]): number[][] {
  const chains: number[][] = [];
  const byImage = new Map<string, number[]>();
  for (const [index, mode] of modes.entries()) {
    const image = mode.persist?.image;
    const chain = image ? byImage.get(image) : undefined;
    if (chain) chain.push(index);
    else {
      const fresh = [index];
      chains.push(fresh);
      if (image) byImage.set(image, fresh);
    }
  }
  return chains;
}
