import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { bootGuestForFile, MARKER } from './_guest.js';

// The kernel prints to the serial port by polling it, and gives up on a byte the port has not
// taken in time. When QEMU's console went through a pipe to this process, a busy event loop let the
// pipe fill and the guest lost console text. These lines are printed by the kernel (printk, through
// /dev/kmsg) while this process's event loop is blocked for 1.5 s at a time.
const LINES = 2000;
const BODY = 'abcdefghijklmnopqrstuvwxyz0123456789';

const booted = bootGuestForFile(() => ({ append: 'printk.devkmsg=on' }));

function busyFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // blocking on purpose: nothing of this process reads the console meanwhile
  }
}

it('keeps every byte the kernel prints while the event loop is blocked for 1.5 s at a time', async () => {
  const chunks: Buffer[] = [];
  booted.vm.console.on('data', (chunk: Buffer) => chunks.push(chunk));
  const received = new Promise((resolveEnd) => booted.vm.console.once('end', resolveEnd));
  await booted.vm.waitFor(MARKER, { timeout: 120_000 });
  await booted.vm.send(
    `i=0; while [ $i -lt ${LINES} ]; do echo "<3>FLOOD-$i-${BODY}" > /dev/kmsg; i=$((i+1)); done; echo FLOOD-""DONE\n`,
  );
  // Blocked for 1.5 s, then 50 ms to read, until the guest is done.
  const done = booted.vm.waitFor('FLOOD-DONE', { timeout: 300_000 });
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    busyFor(1500);
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 50));
  }
  await done;
  await booted.vm.kill();
  await received;
  const check = (text: string) => {
    const lines = text.split(/\r?\n/).filter((line) => /\] FLOOD-/.test(line));
    const damaged = lines.filter((line) => !new RegExp(`\\] FLOOD-\\d+-${BODY}\\r?$`).test(line));
    const numbers = new Set(lines.map((line) => /FLOOD-(\d+)/.exec(line)?.[1]));
    return { lines: lines.length, distinct: numbers.size, damaged: damaged.slice(0, 3) };
  };
  const expected = { lines: LINES, distinct: LINES, damaged: [] };
  expect(check(Buffer.concat(chunks).toString('utf8'))).toEqual(expected);
  expect(check(await readFile(booted.vm.logFile, 'utf8'))).toEqual(expected);
}, 600_000);
