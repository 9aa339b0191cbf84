#!/usr/bin/env node
import { exitOnBrokenPipe } from '@distroforge/core';
import { main } from './main.js';

exitOnBrokenPipe();

process.exitCode = await main(process.argv.slice(2));
