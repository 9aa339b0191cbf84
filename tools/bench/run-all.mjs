#!/usr/bin/env node
// Runs every benchmark in tools/bench/ (or those whose name contains an argument), one after the
// other so they do not compete for the CPU. Each prints its own ratios against the reference tool.
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run-all.mjs')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const result = await execa('node', [join(dir, bench)], { stdio: 'inherit', reject: false });
  if (result.exitCode !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
