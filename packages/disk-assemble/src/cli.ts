#!/usr/bin/env node
import { exitOnBrokenPipe } from '@distroforge/core';
import { main } from './cli-main.js';

exitOnBrokenPipe();

main(
  process.argv.slice(2),
  (text) => process.stdout.write(text),
  (text) => process.stderr.write(text),
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
