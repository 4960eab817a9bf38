/**
 * RFC 5321 §4.5.1: every hosted domain accepts `postmaster@domain`, and the bare
 * `<Postmaster>` is accepted too; nobody has to create it. It goes to smtp.postmasterAddress, else
 * the domain's admin account, else the domain's first account. A forged local postmaster as the
 * *sender* is still refused by relay-effect (the concern of the original's DO-2), and the original's
 * behaviour (postmaster only when created) is the option smtp.postmasterOnlyWhenCreated.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import type { UserConfig } from '../../core/config/schema.ts';

// the shipped config's relay-effect options
const SHIPPED: UserConfig = {
  plugins: [{ name: 'relay-effect', options: { rules: [], localSenderRelay: false, authLevel: 'optional', senderTrust: 'auth-id' } }],
};

async function start(t: { teardown(fn: () => unknown): void }, extra: UserConfig = {}): Promise<TestAppliance> {
  const app = await startTestAppliance({ ...SHIPPED, ...extra, smtp: { ...extra.smtp } });
  t.teardown(() => app.close());
  // a.test: its admin (Administrator@a.test, DO-1's default) is an account
  await seedAccounts(app, 'a.test', ['Administrator', 'alice']);
  // b.test: no admin account, so the first account gets postmaster
  await seedAccounts(app, 'b.test', ['bob', 'carol']);
  return app;
}

/** One SMTP transaction; returns the replies to MAIL, each RCPT and (when all RCPTs passed) the final DATA. */
async function send(app: TestAppliance, from: string, rcpts: string[], subject = 'to the postmaster'): Promise<string[]> {
  const c = await RawClient.smtp(app.smtpPort);
  const out = [await c.command(`MAIL FROM:<${from}>`)];
  for (const r of rcpts) out.push(await c.command(`RCPT TO:<${r}>`));
  if (out.every((r) => r.startsWith('250'))) {
    await c.command('DATA');
    out.push(await c.command(`Subject: ${subject}\r\n\r\nhello\r\n.`));
  }
  await c.command('QUIT');
  c.close();
  return out;
}

t.test('postmaster is accepted for every hosted domain, routed to the admin or first account', async (t) => {
  const app = await start(t);
  const [mail, rcptA, rcptB, bare, data] = await send(app, 'someone@outside.test', ['postmaster@a.test', 'POSTMASTER@b.test', 'Postmaster']);
  t.match(mail, /^250/);
  t.match(rcptA, /^250/, 'postmaster@a.test accepted');
  t.match(rcptB, /^250/, 'POSTMASTER@b.test accepted (case-insensitive)');
  t.match(bare, /^250/, 'the bare <Postmaster> accepted');
  t.match(data, /^250/);
  t.equal((await inbox(app, 'administrator@a.test')).length, 1, 'a.test postmaster and the bare Postmaster (hostname not hosted: first domain) reach the admin once');
  t.equal((await inbox(app, 'bob@b.test')).length, 1, 'b.test has no admin account: its first account gets it');
  t.equal((await inbox(app, 'carol@b.test')).length, 0);
  t.equal((await inbox(app, 'alice@a.test')).length, 0);

  await t.test('the null sender (a bounce to the postmaster) is accepted too', async (t) => {
    const [mail, rcpt, data] = await send(app, '', ['postmaster@b.test']);
    t.match(mail, /^250/);
    t.match(rcpt, /^250/);
    t.match(data, /^250/);
    t.equal((await inbox(app, 'bob@b.test')).length, 2);
  });

  await t.test('an unknown user is still refused', async (t) => {
    const [, rcpt] = await send(app, 'someone@outside.test', ['nobody@a.test']);
    t.match(rcpt, /^550 5\.1\.1/);
  });

  await t.test('a forged local postmaster as sender is refused by the sender checks', async (t) => {
    const [mail, rcpt] = await send(app, 'postmaster@a.test', ['alice@a.test']);
    t.match(`${mail}${rcpt}`, /^5\d\d 5\.7\.1 .*postmaster@a\.test.*Sender address rejected/m);
    t.equal((await inbox(app, 'alice@a.test')).length, 0);
  });
});

t.test('smtp.postmasterAddress routes postmaster of every domain there', async (t) => {
  const app = await start(t, { smtp: { postmasterAddress: 'alice@a.test' } });
  const replies = await send(app, 'someone@outside.test', ['postmaster@a.test', 'postmaster@b.test', 'postmaster']);
  t.match(replies.slice(1, 4), [/^250/, /^250/, /^250/]);
  t.equal((await inbox(app, 'alice@a.test')).length, 1, 'one copy for the configured address');
  t.equal((await inbox(app, 'administrator@a.test')).length, 0);
  t.equal((await inbox(app, 'bob@b.test')).length, 0);
});

t.test('a created postmaster account or alias keeps its mail', async (t) => {
  const app = await start(t);
  await seedAccounts(app, 'b.test', ['postmaster']);
  await send(app, 'someone@outside.test', ['postmaster@b.test']);
  t.equal((await inbox(app, 'postmaster@b.test')).length, 1);
  t.equal((await inbox(app, 'bob@b.test')).length, 0);
});

t.test('smtp.postmasterOnlyWhenCreated: the original DO-2 behaviour', async (t) => {
  const app = await start(t, { smtp: { postmasterOnlyWhenCreated: true } });
  await seedAccounts(app, 'a.test', ['postmaster']);
  const [, rcpt] = await send(app, 'someone@outside.test', ['postmaster@b.test']);
  t.match(rcpt, /^550 5\.1\.1/, 'b.test: no postmaster, none was created');
  const [, bare] = await send(app, 'someone@outside.test', ['Postmaster']);
  t.match(bare, /^250/, 'a.test created one: the bare <Postmaster> (first hosted domain) is accepted');
  const [, created] = await send(app, 'someone@outside.test', ['postmaster@a.test']);
  t.match(created, /^250/, 'and postmaster@a.test');
  t.equal((await inbox(app, 'postmaster@a.test')).length, 2);
  t.equal((await inbox(app, 'administrator@a.test')).length, 0);
});
