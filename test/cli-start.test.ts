/**
 * `mailserver start` refusing an invalid config, and the command line itself (help, unknown
 * command). Starting for real and talking to the listeners is the wire tests' business.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { hasStackTrace, runCli, tempDir } from './helpers/cli.ts';

t.test('start with an invalid config: every problem path, exit 1, no stack trace', async (t) => {
  const dir = tempDir(t);
  const config = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(config, "export default { smtp: { listen: ['nope'], maxRecipients: -1 } };\n");
  const [r, missing] = await Promise.all([
    runCli(['start', '--config', config, '--data', path.join(dir, 'data')]),
    runCli(['start', '--config', path.join(dir, 'no-such.config.ts'), '--data', path.join(dir, 'data')]),
  ]);
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /^mailserver: .*mailserver\.config\.ts: invalid configuration/);
  t.match(r.stderr, /smtp\.listen\[0\]/);
  t.match(r.stderr, /smtp\.maxRecipients/);
  t.notOk(hasStackTrace(r.stderr), 'no stack trace');
  t.notMatch(r.stdout, /^(smtp|pop3)s? /m, 'no listener was started');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no-such\.config\.ts.*\n.*file not found/);
  t.notOk(hasStackTrace(missing.stderr));
});

t.test('command line: help, unknown command, unknown option', async (t) => {
  const [help, none, unknown, verbHelp, badOption] = await Promise.all([
    runCli(['--help']),
    runCli([]),
    runCli(['frobnicate']),
    runCli(['account', 'add', '--help']),
    runCli(['domain', 'list', '--colour']),
  ]);
  t.equal(help.code, 0);
  for (const form of ['start [--config FILE] [--data DIR]', 'domain add DOMAIN', 'account import FILE.tsv', 'account export [FILE.tsv]', 'alias add ALIAS@DOMAIN REAL@DOMAIN[,0|,1]']) {
    t.match(help.stdout, `mailserver ${form}`);
  }
  t.equal(none.code, 2, 'no command: usage on stderr, exit 2');
  t.match(none.stderr, /^usage: mailserver COMMAND/);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^mailserver: unknown command "frobnicate"\nusage: /);
  t.equal(unknown.stdout, '');
  t.equal(verbHelp.code, 0);
  t.match(verbHelp.stdout, /--password PW .*"-" reads it from stdin/);
  t.match(verbHelp.stdout, /--quota BYTES .*K, M, G \(1024-based\)/);
  t.equal(badOption.code, 2);
  t.match(badOption.stderr, /unknown option --colour\nusage: mailserver domain list/);
});
