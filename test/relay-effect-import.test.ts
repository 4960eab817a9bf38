/**
 * The effect.dat importer end to end: `mailserver effect import` turns the original's file into
 * relay-effect options, `effect export` turns them back, and the plugin's `file` option reads
 * the file as it is — checked over SMTP with smtplib from two source addresses.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { runCli, tempDir } from './helpers/cli.ts';
import { startTestAppliance, seedAccounts } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

const EFFECT_DAT = "' relay only from the office network (manual ② I-g)\r\n127.0.0.2 default\r\n*.*.*.* norelay\r\n";
const CORE = path.resolve(import.meta.dirname, '../core/index.ts');

t.test('effect import prints config rules; export gives the file back', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'effect.dat');
  fs.writeFileSync(file, EFFECT_DAT + '10.*.*.* only\r\n192.168.0.* false\r\n');
  const imported = await runCli(['effect', 'import', file]);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stderr, /line 5: ignored, "only" must be the last rule/);
  t.match(imported.stdout, /\{ match: "127\.0\.0\.2", action: "default" \},\n  \{ match: "\*\.\*\.\*\.\*", action: "norelay" \},\n  \{ match: "10\.\*\.\*\.\*", action: "only" \},\n\] \} \},/);
  const entry = imported.stdout.split('\n').filter((l) => !l.startsWith('//')).join('\n').replace(/,\s*$/, '');
  const config = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(config, `import { defineConfig } from ${JSON.stringify(CORE)};\nexport default defineConfig({ plugins: [${entry}] });\n`);
  const exported = await runCli(['effect', 'export', '--config', config]);
  t.equal(exported.code, 0, exported.stderr);
  t.equal(exported.stdout, '127.0.0.2 default\r\n*.*.*.* norelay\r\n10.*.*.* only\r\n');
  fs.writeFileSync(file, '127.0.0.2\tfalse\r\n');
  const bad = await runCli(['effect', 'import', file]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /effect\.dat: line 1: TAB is not a separator/);
});

t.test('effect export reads a relative file beside the config, from any directory', async (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  fs.writeFileSync(path.join(dir, 'effect.dat'), EFFECT_DAT);
  const config = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(config, `import { defineConfig } from ${JSON.stringify(CORE)};\nexport default defineConfig({ plugins: [{ name: 'relay-effect', options: { file: './effect.dat' } }] });\n`);
  const exported = await runCli(['effect', 'export', '--config', config], { cwd: elsewhere });
  t.equal(exported.code, 0, exported.stderr);
  t.equal(exported.stdout, '127.0.0.2 default\r\n*.*.*.* norelay\r\n', 'the rules of the effect.dat beside the config');
});

t.test('the plugin reads effect.dat itself (file option), over SMTP', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'effect.dat');
  fs.writeFileSync(file, EFFECT_DAT);
  const app = await startTestAppliance({ delivery: { enabled: false }, plugins: [{ name: 'relay-effect', options: { file } }] });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  const probe = (source: string) => smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<bob@example.test>'], ['cmd', 'RCPT TO:<x@remote.test>'],
    ['cmd', 'RCPT TO:<alice@example.test>']], source).then((r) => r.map(([c]) => c));
  t.same(await probe('127.0.0.2'), [250, 250, 250], 'the listed network relays for local senders');
  t.same(await probe('127.0.0.3'), [250, 554, 250], 'everyone else: norelay');
  fs.writeFileSync(file, '127.0.0.2 sometimes\r\n');
  await t.rejects(startTestAppliance({ plugins: [{ name: 'relay-effect', options: { file } }] }), /effect\.dat: line 1: unknown action "sometimes"/,
    'a broken file stops start-up, naming the line');
});
