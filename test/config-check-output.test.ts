/**
 * `mailserver config check` says `valid` only for a config the appliance would run: a plugin
 * option it refuses is reported once per place, and no `valid` line comes before the errors.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './helpers/process.ts';
import { runCli, tempDir } from './helpers/cli.ts';

const config = (options: string) => `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({ plugins: [{ name: 'mailfilter', options: ${options} }] });
`;

t.test('a refused plugin option: errors only, each once', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), config(`{ rblTimeoutMs: 0, accounts: { 'bob@example.test': { rules: 'x' } } }`));
  const r = await runCli(['config', 'check', dir]);
  t.equal(r.code, 1);
  t.notMatch(r.stdout, /valid/, 'no "valid" line');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  t.same(errors.map((l) => l.replace(/: [^:]+$/, '')).sort(), [
    'error: mailserver.config.ts: plugins[0].options.accounts.bob@example.test.rules',
    'error: mailserver.config.ts: plugins[0].options.rblTimeoutMs',
  ], 'one line per place that is wrong');
  t.match(r.stderr, /2 problem\(s\); a push of this would be refused/);
});

t.test('a per-account table with a file only (rules default to none) is valid', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'bob.dat'), '');
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), config(`{ accounts: { 'bob@example.test': { file: './bob.dat' } } }`));
  const r = await runCli(['config', 'check', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /mailserver\.config\.ts: valid\n/);
  t.match(r.stdout, /ok: a push of this would be applied/);
});
