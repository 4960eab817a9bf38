#!/usr/bin/env node
// The `mailserver` command. The appliance is written in TypeScript and run with tsx, so this
// plain-JS entry point registers tsx's ESM loader before it imports the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../appliance/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
