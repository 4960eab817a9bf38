#!/usr/bin/env node
// The `mailserver` command. The appliance is written in TypeScript and run with tsx, so this
// plain-JS entry point registers tsx's loaders before it imports the CLI: the ESM loader for
// the appliance, and the CommonJS one for a mailserver.config.ts kept outside any
// "type": "module" package (e.g. /etc/mailserver/), which Node treats as CommonJS.
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

// everything this process creates is the owner's alone (0700 directories, 0600 files)
process.umask(0o077);
// `mailserver ... | head`: the reader went away; stop quietly with the command's exit code, as
// coreutils do, instead of an EPIPE stack trace
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}
registerEsm();
registerCjs();
const { main } = await import('../appliance/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
