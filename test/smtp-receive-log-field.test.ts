/**
 * `smtp.receiveLogFieldMax`: each field of a receive-log line (LG-1) is cut at the configured
 * length. A RCPT refused for an unknown user with a long local part logs the address and the
 * reply text (which repeats the address), both cut to the setting; the short fields stay whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestAppliance, seedAccounts } from './helpers/appliance.ts';
import { RawClient } from './helpers/raw-client.ts';
import { waitFor } from './helpers/sink.ts';

const MAX = 64;

t.test('receive-log fields are cut at smtp.receiveLogFieldMax', async (t) => {
  const app = await startTestAppliance({ smtp: { receiveLogFieldMax: MAX } });
  t.teardown(() => app.close());
  await seedAccounts(app, 'local.test', ['alice']);
  const nobody = `${'n'.repeat(60)}@local.test`;
  const c = await RawClient.smtp(app.smtpPort);
  t.match(await c.command('MAIL FROM:<a@client.test>'), /^250/);
  t.match(await c.command(`RCPT TO:<${nobody}>`), /^550/, 'an unknown user');
  c.close();

  const file = path.join(app.dataDir, 'logs', app.config.node.name, 'smtp-receive.log');
  const line = await waitFor('the refusal line', () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes('\trefused\t')) : undefined));
  const f = line.split('\t');
  t.match(f, [/T/, '127.0.0.1', /\S/, 'refused', 'rcpt'], 'the short fields whole');
  t.equal(f[5], `<${nobody}>`.slice(0, MAX), 'the address cut at the setting');
  t.equal(f[6], '550');
  t.ok(f.every((x) => x.length <= MAX), `no field longer than ${MAX}`);
  t.equal(f[8]?.length, MAX, 'the reply text cut at the setting');
});
