#!/usr/bin/env node
import { exitOnBrokenPipe } from '@distroforge/core';
import { main } from './cli-main.js';

exitOnBrokenPipe();

process.exitCode = await main(process.argv.slice(2));
