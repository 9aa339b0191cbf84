import { withImageRoot, type UserNamespace } from '@distroforge/core';
import { readRpm, type RpmScriptletName } from '@distroforge/rpm-extract';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RpmCandidate } from './candidate.js';

/** What running the scriptlets did, per package. */
export interface RpmScriptletReport {
  /** Scriptlets that ran and exited 0. */
  ran: { package: string; scriptlets: string[] }[];
  /** Scriptlets that failed (the log has their output). */
  failures: { package: string; scriptlet: string; message: string }[];
  /** Scriptlets not run: `<lua>` ones need rpm's embedded interpreter; un/trans ones do not apply. */
  skipped: { package: string; scriptlets: string[]; reason?: string }[];
}

const RUN: RpmScriptletName[] = ['prein', 'postin'];
const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Runs each package's `%pre` then `%post` with its own interpreter in the extracted tree's root, in
 * the user namespace `namespace` (as root or not), in installation order, with `$1 = 1` as for a first install. The files are all
 * in place already (rpm runs `%pre` before a package's files land; scriptlets that test for their
 * own files may behave differently). A failure is recorded and the next package goes on, unless
 * `abortOnFailure`.
 */
export async function runRpmScriptlets(
  root: string,
  order: readonly { candidate: RpmCandidate; file: string }[],
  options: {
    logFile: string;
    sourceDateEpoch: number | undefined;
    abortOnFailure: boolean;
    namespace: UserNamespace;
    signal?: AbortSignal;
  },
): Promise<RpmScriptletReport> {
  const report: RpmScriptletReport = { ran: [], failures: [], skipped: [] };
  const env: Record<string, string> = {
    PATH: CHROOT_PATH,
    LC_ALL: 'C',
    HOME: '/root',
    ...(options.sourceDateEpoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) }),
  };
  const withScripts = order.filter(
    (p) => p.candidate.rpm.scriptlets.length > 0 || p.candidate.origin.startsWith('rpm-repo:'),
  );
  if (withScripts.length === 0) return report;
  await withImageRoot(
    root,
    {
      env,
      logFile: options.logFile,
      namespace: options.namespace,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    async (chroot) => {
      for (const { candidate, file } of withScripts) {
        const header = await readRpm(file);
        const ran: string[] = [];
        const skipped = Object.keys(header.scripts).filter((s) => !RUN.includes(s as RpmScriptletName));
        for (const name of RUN) {
          const script = header.scripts[name];
          if (!script) continue;
          if (script.interpreter[0] === '<lua>') {
            skipped.push(name);
            continue;
          }
          const inRoot = `/var/tmp/rpm-tmp.${candidate.name}.${name}`;
          if (script.body !== undefined) await writeFile(join(root, inRoot), script.body, { mode: 0o700 });
          try {
            await chroot.run([...script.interpreter, ...(script.body === undefined ? [] : [inRoot]), '1'], {
              timeoutMs: 10 * 60_000,
            });
            ran.push(name);
          } catch (error) {
            if (options.abortOnFailure) throw error;
            report.failures.push({
              package: candidate.name,
              scriptlet: name,
              message: (error as Error).message.split('\n')[0] ?? '',
            });
          } finally {
            await rm(join(root, inRoot), { force: true });
          }
        }
        if (ran.length > 0) report.ran.push({ package: candidate.name, scriptlets: ran });
        if (skipped.length > 0) report.skipped.push({ package: candidate.name, scriptlets: skipped.sort() });
      }
    },
  );
  return report;
}
