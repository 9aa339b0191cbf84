#!/usr/bin/env node
import { exitOnBrokenPipe } from '@distroforge/core';
import { runCli } from './run-cli.js';

exitOnBrokenPipe();

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
