/**
 * Round trips the PostgreSQL store makes per operation, counted on a real PostgreSQL 15 (every
 * pg Client.query call in this process is one round trip to the server): an SMTP message for
 * one local recipient, one for three, a queued message, and IMAP STORE. Pins the counts so a
 * change that adds a round trip to the hot path fails here, not only in `npm run bench:cluster`.
 * Before (one transaction of BEGIN, blob, one statement per mailbox, COMMIT, and a quota read
 * per recipient): 5 round trips for one recipient, 9 for three; enqueue 6; STORE 7 in its
 * transaction. Delivery of queued messages: one queue_complete() statement per message and a
 * claim for every few (1.15 a message), then outcomes group-committed (about 0.4 a message).
 * Set TEST_PG_TRACE=1 to print the statements.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { startPostgres } from './helpers/postgres.ts';
import { pgStatements } from './helpers/pg-statements.ts';
import { RawClient } from './helpers/raw-client.ts';
import type { PostgresStores } from '../appliance/store/postgres/index.ts';
import { writeDeliveries } from '../appliance/store/postgres/delivery-batch.ts';
import { newBlobId } from '../appliance/store/postgres/blobs.ts';
import { startSmtpSink } from './helpers/sink.ts';
import { freePorts } from './helpers/process.ts';

const sql = pgStatements(t);
const seen = sql.seen;

const pgServer = await startPostgres();
const url = await pgServer.database();
const app: TestAppliance = await startTestAppliance({ store: { kind: 'postgres', url }, node: { name: 'n1' } });
t.teardown(async () => {
  await app.close();
  await pgServer.stop();
});
await seedAccounts(app, 'example.test', ['alice', 'bob', 'carol']);
await seedAccounts(app, 'example.test', ['dora'], { quota: 1_000_000 });

async function counted<T>(fn: () => Promise<T>): Promise<{ statements: string[]; transactions: number; result: T }> {
  const result = await sql.record(async () => {
    const r = await fn();
    // the 250 is sent after COMMIT returned; the local publish runs a turn later
    await new Promise((done) => setImmediate(done));
    return r;
  });
  return { statements: [...seen], transactions: seen.filter((s) => /^\s*BEGIN/i.test(s)).length, result };
}

const show = (s: string[]) => s.map((x) => x.replace(/\s+/g, ' ').slice(0, 90)).join('\n');
const trace = (what: string, m: { statements: string[]; transactions: number }) => {
  if (process.env.TEST_PG_TRACE) t.comment(`${what}: ${m.statements.length} round trips, ${m.transactions} BEGIN\n${show(m.statements)}`);
};
/** Statements that write (outside BEGIN … COMMIT each is a transaction and a commit of its own). */
const writes = (s: string[]) => s.filter((x) => /\b(INSERT INTO|UPDATE \w+( \w+)? SET|DELETE FROM|deliver_messages)\b/i.test(x)).length;

async function smtpMessage(c: RawClient, to: string[], n: number): Promise<string> {
  t.match(await c.command('MAIL FROM:<sender@client.test>'), /^250/);
  for (const r of to) t.match(await c.command(`RCPT TO:<${r}>`), /^250/);
  t.match(await c.command('DATA'), /^354/);
  return c.command(`From: sender@client.test\r\nTo: ${to[0]}\r\nSubject: count ${n}\r\n\r\nbody ${n}\r\n.`);
}

t.test('SMTP: one message for one local recipient', async (t) => {
  const c = await RawClient.smtp(app.smtpPort);
  t.teardown(() => c.close());
  await smtpMessage(c, ['alice@example.test'], 0); // warm-up: caches, prepared statements
  const m = await counted(() => smtpMessage(c, ['alice@example.test'], 1));
  t.match(m.result, /^250/);
  trace('1 recipient', m);
  t.equal(m.statements.length, 1, `one round trip per message, the delivery (no quota to read): ${show(m.statements)}`);
  t.equal(m.transactions, 0, 'no BEGIN/COMMIT: the delivery is one statement');
  t.equal(writes(m.statements), 1, 'one write statement, so one commit');
  t.equal((await inbox(app, 'alice@example.test')).length, 2);
});

t.test('SMTP: a recipient with a quota costs a read of its usage at RCPT and one at the end of DATA', async (t) => {
  const c = await RawClient.smtp(app.smtpPort);
  t.teardown(() => c.close());
  const m = await counted(() => smtpMessage(c, ['alice@example.test', 'dora@example.test'], 3));
  t.match(m.result, /^250/);
  trace('a recipient with a quota', m);
  t.equal(m.statements.length, 3, `usage read (RCPT), quota read (end of DATA) and delivery: ${show(m.statements)}`);
  t.match(m.statements[0], /SELECT usage FROM accounts WHERE id = \$1/, 'the usage read at RCPT (RFC 1870: a full mailbox is refused there)');
  t.match(m.statements[1], /FROM accounts WHERE id = ANY/, 'the quota read at the end of DATA');
  t.equal(writes(m.statements), 1);
  t.match((await inbox(app, 'dora@example.test')).at(-1)?.content, /Subject: count 3/);
});

t.test('SMTP: one message for three local recipients', async (t) => {
  const c = await RawClient.smtp(app.smtpPort);
  t.teardown(() => c.close());
  const m = await counted(() => smtpMessage(c, ['alice@example.test', 'bob@example.test', 'carol@example.test'], 2));
  t.match(m.result, /^250/);
  trace('3 recipients', m);
  t.equal(m.statements.length, 1, `as many round trips as for one recipient: ${show(m.statements)}`);
  t.equal(m.transactions, 0);
  for (const a of ['alice', 'bob', 'carol']) t.match((await inbox(app, `${a}@example.test`)).at(-1)?.content, /Subject: count 2/);
});

t.test('concurrent messages share one statement (group commit)', async (t) => {
  const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.smtp(app.smtpPort)));
  t.teardown(() => clients.forEach((c) => c.close()));
  const m = await counted(() => Promise.all(clients.map((c, i) => smtpMessage(c, ['bob@example.test'], 10 + i))));
  trace('4 concurrent', m);
  for (const r of m.result) t.match(r, /^250/);
  t.equal(m.transactions, 0);
  t.ok(writes(m.statements) <= 4, `at most one write statement per message: ${writes(m.statements)}`);
  t.equal((await inbox(app, 'bob@example.test')).length, 5);
});

t.test('a queued message for remote delivery: one statement', async (t) => {
  const m = await counted(() => app.store.queue.enqueue({ mailFrom: 'alice@example.test', recipients: ['x@remote.test', 'y@remote.test'], content: Buffer.from('Subject: out\r\n\r\nhi\r\n') }));
  trace('enqueue', m);
  t.equal(m.statements.length, 1, 'one round trip (was 6: BEGIN, blob, entry, recipients, NOTIFY, COMMIT)');
  const entry = await app.store.queue.get(m.result);
  t.same(entry?.recipients.map((r) => r.recipient).sort(), ['x@remote.test', 'y@remote.test']);
});

t.test('IMAP STORE: lock and read, write, in one transaction', async (t) => {
  const c = await RawClient.connect(app.imapsPort, { tls: true });
  t.teardown(() => c.close());
  await c.line();
  const cmd = async (tag: string, line: string) => {
    c.write(`${tag} ${line}\r\n`);
    let out = '';
    for (;;) {
      const l = await c.line();
      out += l;
      if (l.startsWith(`${tag} `)) return out;
    }
  };
  t.match(await cmd('a1', 'LOGIN alice@example.test pw-alice'), /a1 OK/);
  const sel = await counted(() => cmd('a2', 'SELECT INBOX'));
  t.match(sel.result, /a2 OK/);
  trace('SELECT', sel);
  const fetch = await counted(() => cmd('a3', 'FETCH 1:2 (FLAGS BODY.PEEK[])'));
  t.match(fetch.result, /a3 OK/);
  trace('FETCH 2 bodies', fetch);
  const store = await counted(() => cmd('a4', 'STORE 1:3 +FLAGS (\\Seen $Done)'));
  t.match(store.result, /\* 1 FETCH \(FLAGS \(\\Seen \$Done( \\Recent)?\)\)/);
  t.match(store.result, /\* 3 FETCH \(FLAGS \(\\Seen \$Done( \\Recent)?\)\)/);
  t.match(store.result, /a4 OK/);
  trace('STORE', store);
  const i = store.statements.findIndex((x) => /^BEGIN/.test(x));
  const inTx = store.statements.slice(i, store.statements.findIndex((x) => /^COMMIT/.test(x)) + 1);
  t.equal(store.transactions, 1);
  t.equal(inTx.length, 4, `BEGIN, lock and read, write, COMMIT (was 7): ${inTx.length}`);
  const again = await counted(() => cmd('a5', 'STORE 1 +FLAGS (\\Seen)'));
  t.match(again.result, /a5 OK/);
  t.equal(writes(again.statements.slice(again.statements.findIndex((x) => /^BEGIN/.test(x)))), 0, 'no write when the flags come out the same');
  const m = (await app.store.mail.messages((await app.store.mail.mailbox((await app.store.accounts.get('alice@example.test'))!.id, 'INBOX'))!.id));
  t.same(m.slice(0, 3).map((x) => x.flags), [['\\Seen', '$Done'], ['\\Seen', '$Done'], ['\\Seen', '$Done']]);
  t.equal(new Set(m.slice(0, 3).map((x) => x.modseq)).size, 1, 'one MODSEQ for the whole STORE');
});

t.test('a delivery statement run again (a lost connection after it was sent) stores nothing twice', async (t) => {
  const stores = app.store as unknown as PostgresStores;
  const acct = (await stores.accounts.get('carol@example.test'))!;
  const before = (await inbox(app, 'carol@example.test')).length;
  const item = { blobId: newBlobId(), content: Buffer.from('Subject: twice\r\n\r\nx\r\n'), accountIds: [acct.id], name: 'INBOX', flags: '', date: Date.now() };
  const first = await writeDeliveries(stores.db, 'test', [item]);
  const again = await writeDeliveries(stores.db, 'test', [item]);
  t.same(again, first, 'the second run answers with the mailboxes of the first');
  t.equal((await inbox(app, 'carol@example.test')).length, before + 1, 'one copy stored');
  t.equal(await stores.mail.usage(acct.id), (await inbox(app, 'carol@example.test')).reduce((s, m) => s + Buffer.byteLength(m.content), 0), 'usage counted once');
  // a new mailbox is made on the way, with a UIDVALIDITY above the account's others
  const [made] = await writeDeliveries(stores.db, 'test', [{ ...item, blobId: newBlobId(), name: 'Filed' }]);
  const box = await stores.mail.mailbox(acct.id, 'Filed');
  t.equal(made[0].mailboxId, box?.id);
  t.ok(box!.uidValidity > (await stores.mail.mailbox(acct.id, 'INBOX'))!.uidValidity);
});

t.test('delivery of queued messages: fewer statements than messages (claims and outcomes batched)', async (t) => {
  const url2 = await pgServer.database();
  const [port] = await freePorts(1);
  const sink = await startSmtpSink('127.0.0.1', port);
  t.teardown(() => sink.close());
  const n = 80;
  const seed = await (await import('../appliance/store/postgres/index.ts')).openPostgresStore({ url: url2, nodeName: 'seed' });
  await Promise.all(Array.from({ length: n }, (_, i) => seed.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['r@sink.test'], content: Buffer.from(`Subject: d${i}\r\n\r\nx\r\n`) })));
  await seed.close();
  const m = await counted(async () => {
    const sender = await startTestAppliance({ store: { kind: 'postgres', url: url2 }, node: { name: 'd1' },
      delivery: { workers: 20, perDestination: 20, gateway: `127.0.0.1:${port}`, dnsServers: ['127.0.0.1:9'] } });
    t.teardown(() => sender.close());
    for (let i = 0; i < 600 && sink.messages().length < n; i++) await new Promise((r) => setTimeout(r, 50));
    // the last outcomes are committed after the sink has the messages
    for (let i = 0; i < 100 && (await sender.store.queue.list()).length; i++) await new Promise((r) => setTimeout(r, 50));
    return sender;
  });
  t.equal(sink.messages().length, n, 'every message delivered');
  const queue = m.statements.filter((x) => /queue_complete|queue_claim/.test(x));
  trace('delivery', { statements: queue, transactions: 0 });
  const outcomes = queue.filter((x) => /queue_complete/.test(x)).length;
  t.ok(outcomes < n * 0.8, `${outcomes} outcome statements for ${n} messages (one each before)`);
  t.ok(queue.length < n, `${queue.length} claim and outcome statements for ${n} messages (${n} + claims before)`);
});
