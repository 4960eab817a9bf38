/**
 * Smtp.senderLoginMatch (Postfix reject_sender_login_mismatch), on by default: an
 * authenticated session sends only as its account and the account's aliases (an exact alias, a
 * domain alias), never as another account, a stranger or through a catch-all: 553 5.7.1 naming
 * the address. The null sender stays allowed; unauthenticated sessions are not affected;
 * senderLoginMatch: false is the original's "any sender once authenticated".
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import type { UserConfig } from '../../core/config/schema.ts';

async function start(t: { teardown(fn: () => unknown): void }, smtp: UserConfig['smtp'] = {}): Promise<TestAppliance> {
  const app = await startTestAppliance({ smtp });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  await app.store.domains.create({ name: 'other.test' });
  await app.store.domains.create({ name: 'catch.test' });
  await app.store.aliases.add({ alias: 'info@example.test', target: 'alice@example.test', rewrite: null });
  await app.store.aliases.add({ alias: '*@other.test', target: '*@example.test', rewrite: true });
  await app.store.aliases.add({ alias: '*@catch.test', target: 'alice@example.test', rewrite: null });
  return app;
}

/** An AUTH PLAIN session as alice over STARTTLS (or implicit TLS); MAIL FROM each sender, RSET between. */
async function mailFroms(app: TestAppliance, senders: string[], opts: { implicitTls?: boolean; auth?: boolean } = {}): Promise<string[]> {
  const c = await RawClient.smtp(opts.implicitTls ? app.smtpsPort : app.smtpPort, { tls: opts.implicitTls });
  if (!opts.implicitTls) {
    await c.command('STARTTLS');
    await c.startTls();
    await c.command('EHLO client.test');
  }
  if (opts.auth !== false) {
    const auth = await c.command(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0pw-alice').toString('base64')}`);
    if (!auth.startsWith('235')) throw new Error(`AUTH failed: ${auth}`);
  }
  const out: string[] = [];
  for (const s of senders) {
    out.push((await c.command(`MAIL FROM:<${s}>`)).trim());
    await c.command('RSET');
  }
  c.close();
  return out;
}

t.test('by default an authenticated account sends only as itself and its aliases', async (t) => {
  const app = await start(t);
  const [own, upper, alias, domainAlias, nul, other, stranger, catchAll] = await mailFroms(app, [
    'alice@example.test', 'Alice@Example.TEST', 'info@example.test', 'alice@other.test', '',
    'bob@example.test', 'someone@remote.test', 'anything@catch.test',
  ]);
  t.match(own, /^250/, 'its own address');
  t.match(upper, /^250/, 'in any case');
  t.match(alias, /^250/, 'an exact alias of the account');
  t.match(domainAlias, /^250/, 'a domain alias mapping onto the account');
  t.match(nul, /^250/, 'the null sender');
  t.match(other, /^553 5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test/, 'another account');
  t.match(stranger, /^553 5\.7\.1 <someone@remote\.test>/, 'a remote address');
  t.match(catchAll, /^553 5\.7\.1 <anything@catch\.test>/, 'a catch-all does not make the whole domain the account\'s');

  await t.test('on the implicit-TLS (submissions) listener too', async (t) => {
    const [other] = await mailFroms(app, ['bob@example.test'], { implicitTls: true });
    t.match(other, /^553 5\.7\.1 <bob@example\.test>/);
  });

  await t.test('unauthenticated sessions are not affected', async (t) => {
    const [other] = await mailFroms(app, ['bob@example.test'], { auth: false });
    t.match(other, /^250/);
  });
});

t.test('smtp.senderLoginMatch: false lets an authenticated account use any sender', async (t) => {
  const app = await start(t, { senderLoginMatch: false });
  const [other, stranger] = await mailFroms(app, ['bob@example.test', 'someone@remote.test']);
  t.match(other, /^250/);
  t.match(stranger, /^250/);
});
