/**
 * `mailserver store migrate --to URL`: an embedded install with mail received over SMTP and
 * changed over IMAP is copied into an empty PostgreSQL database; everything a client relies on
 * is the same afterwards (the account logs in with its password, the mailbox keeps its
 * UIDVALIDITY, UIDs, flags, MODSEQs and VANISHED history), the queue, list and runtime data
 * are there, and an appliance on the PostgreSQL store serves the migrated mail over IMAP.
 * A second migrate into the now non-empty database is refused.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, tempDir } from './helpers/appliance.ts';
import { imaplib } from './helpers/imap-env.ts';
import { runCli } from './helpers/cli.ts';
import { startPostgres } from './helpers/postgres.ts';
import { openPostgresStore } from '../appliance/store/postgres/index.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import type { Stores } from '../core/store/ports.ts';

const pg = await startPostgres();
t.teardown(() => pg.stop());

async function snapshot(s: Stores) {
  const accounts = await s.accounts.list();
  const boxes = [];
  for (const a of accounts) {
    for (const m of await s.mail.listMailboxes(a.id)) {
      const msgs = await s.mail.messages(m.id);
      boxes.push({
        ...m,
        messages: await Promise.all(msgs.map(async (x) => ({ ...x, content: (await s.mail.read(x.blobId)).toString('base64'), blobId: '' }))),
        vanished: await s.folders.vanished(m.id, 0),
        counts: await s.folders.counts(m.id),
      });
    }
  }
  const queue = await Promise.all((await s.queue.list()).map(async (e) => ({ ...e, content: (await s.queue.read(e.blobId)).toString('base64'), blobId: '' })));
  return {
    domains: await s.domains.list(),
    accounts,
    secrets: await Promise.all(accounts.map((a) => s.accounts.getSecret(a.id))),
    usage: await Promise.all(accounts.map((a) => s.mail.usage(a.id))),
    subscriptions: await Promise.all(accounts.map((a) => s.folders.subscriptions(a.id))),
    autoreply: await Promise.all(accounts.map((a) => s.autoreply.list(a.id))),
    aliases: await s.aliases.list(),
    boxes,
    queue,
    members: await s.lists!.members('staff'),
    articles: await s.lists!.articles('staff'),
    article: (await s.lists!.article('staff', 1))?.toString('base64'),
    refused: await s.refusedIps!.list(),
  };
}

t.test('an embedded install moves to PostgreSQL with everything clients and peers rely on', async (t) => {
  const dataDir = tempDir();
  const app = await startTestAppliance({}, dataDir);
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  await seedAccounts(app, 'example.test', ['carol'], { apop: true, quota: 5_000_000 });
  await app.store.aliases.add({ alias: 'info@example.test', target: 'alice@example.test', rewrite: true });
  // mail over SMTP (one large enough for a message file), changes over IMAP
  const r = await imaplib(app, `
s = smtplib.SMTP(H, SP, timeout=15)
for i in range(5):
    s.sendmail('sender@example.org', ['alice@example.test', 'carol@example.test'], ('Subject: m%d\\r\\n\\r\\nbody %d\\r\\n' % (i, i)).encode())
s.sendmail('sender@example.org', ['alice@example.test'], b'Subject: big\\r\\n\\r\\n' + b'x' * 400000 + b'\\r\\n')
s.quit()
c = login('alice')
c.select('INBOX')
c.store('1:2', '+FLAGS', '(\\\\Seen $Work)')
c.create('Archive')
c.subscribe('Archive')
c.copy('3', 'Archive')
c.store('4', '+FLAGS', '(\\\\Deleted)')
c.expunge()
out['uidvalidity'] = c.response('UIDVALIDITY')
c.logout()
`);
  t.ok(r.uidvalidity);
  const carol = (await app.store.accounts.get('carol@example.test'))!;
  await app.store.autoreply.claimReply(carol.id, 'someone@example.org', { now: new Date(), periodMs: 86_400_000, record: true, neverAgain: false });
  await app.store.queue.enqueue({ mailFrom: 'alice@example.test', recipients: ['x@remote.test', 'y@other.test'], content: Buffer.from('Subject: out\r\n\r\nq\r\n') });
  const [batch] = await app.store.queue.claim(1, 60_000);
  await app.store.queue.complete(batch, batch.recipients.map((x) => ({ recipient: x.recipient, result: 'deferred' as const, error: '451 try later', nextAttempt: new Date(Date.now() + 600_000), refusal: true })));
  await app.store.lists!.addMember('staff', { address: 'Member@x.test', name: 'M' });
  await app.store.lists!.nextCounter('staff', 0);
  await app.store.lists!.archive('staff', { n: 1, subject: 'hello', from: 'member@x.test', date: new Date(1_700_000_000_000) }, Buffer.from('archived'));
  await app.store.refusedIps!.add('192.0.2.7', 'mail filter rule "x"');
  await app.close();

  const before = await snapshot(openEmbeddedStore(dataDir));
  const url = await pg.database();
  const res = await runCli(['store', 'migrate', '--to', url, '--data', dataDir]);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /messages\s+\d+/);
  t.match(res.stdout, /verified: row counts and \d+ message bytes match/);
  t.match(res.stdout, /store: \{ kind: 'postgres', url: 'postgres:\/\//);

  const stores = await openPostgresStore({ url, nodeName: 'check' });
  t.teardown(() => stores.close());
  const after = await snapshot(stores);
  t.same(after, before, 'the PostgreSQL store holds the same data');
  t.ok(after.boxes.some((b) => b.vanished.length > 0), 'expunge history came along');
  t.ok(after.boxes.some((b) => b.messages.some((m) => m.flags.includes('$Work'))), 'flags came along');
  t.equal(after.queue[0]?.recipients[0]?.attempts, 1, 'queue retry state came along');
  t.ok(await stores.accounts.verifyPassword('alice@example.test', 'pw-alice'), 'passwords (hashes) work');
  t.equal(await stores.accounts.getSecret(carol.id), 'pw-carol', 'the APOP secret came along');
  // new rows continue after the copied ids
  await stores.domains.create({ name: 'new.test' });
  const dave = await stores.accounts.create({ name: 'dave', domain: 'new.test', password: 'pw', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false });
  t.ok(dave.id > Math.max(...before.accounts.map((a) => a.id)));

  // an appliance on the PostgreSQL store: same UIDVALIDITY and UIDs for the IMAP client
  const node = await startTestAppliance({ store: { kind: 'postgres', url }, node: { name: 'n1' } });
  t.teardown(() => node.close());
  const r2 = await imaplib(node, `
c = login('alice')
c.select('INBOX')
out['uidvalidity'] = c.response('UIDVALIDITY')
out['fetch'] = c.uid('FETCH', '1:*', '(FLAGS)')[1]
s = smtplib.SMTP(H, SP, timeout=15)
s.sendmail('sender@example.org', ['alice@example.test'], b'Subject: after\\r\\n\\r\\nnew\\r\\n')
s.quit()
out['next'] = c.uid('SEARCH', 'ALL')[1]
c.logout()
`);
  t.same(r2.uidvalidity, r.uidvalidity, 'UIDVALIDITY unchanged');
  t.match(JSON.stringify(r2.fetch), /UID 1 FLAGS \(\\\\Seen \$Work/);
  t.same(r2.next, ['1 2 3 5 6 7'], 'a new message continues after the migrated UIDs');

  const again = await runCli(['store', 'migrate', '--to', url, '--data', dataDir]);
  t.equal(again.code, 1);
  t.match(again.stderr, /is not empty .*migrate needs an empty database/);
});

t.test('bad input: no URL, not a postgres URL, unreachable server, no embedded store', async (t) => {
  const dataDir = tempDir();
  t.match((await runCli(['store', 'migrate', '--data', dataDir])).stderr, /needs --to postgres:\/\//);
  t.match((await runCli(['store', 'migrate', '--to', 'mysql://x/y', '--data', dataDir])).stderr, /is not a postgres:\/\/ URL/);
  const none = await runCli(['store', 'migrate', '--to', 'postgres://postgres@127.0.0.1:1/x', '--data', dataDir]);
  t.equal(none.code, 1);
  t.match(none.stderr, /no embedded store in/);
  const app = await startTestAppliance({}, dataDir);
  await seedAccounts(app, 'example.test', ['alice']);
  await app.close();
  const down = await runCli(['store', 'migrate', '--to', 'postgres://postgres:secret@127.0.0.1:1/x', '--data', dataDir]);
  t.equal(down.code, 1);
  t.match(down.stderr, /cannot use the PostgreSQL database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x/);
  t.notMatch(down.stderr, /secret/, 'the password is not printed');
  t.notMatch(down.stderr, /\n\s+at /, 'no stack trace');
});
