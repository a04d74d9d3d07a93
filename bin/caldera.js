#!/usr/bin/env node
// The package's bin: a thin launcher for the TypeScript CLI (run natively by Node's type stripping).
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
