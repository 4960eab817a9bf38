/**
 * imapflow (the Node IMAP client) against the running appliance with its default settings:
 * implicit TLS with the appliance's certificate as the CA (name "localhost"), LIST with the
 * special-use attributes (RFC 6154), FETCH of envelope, source and flags, IDLE woken by an
 * `exists` for a message delivered over SMTP meanwhile (RFC 2177), MOVE (RFC 6851, checked in
 * imapflow's own command log), APPEND with flags, and STORE +FLAGS/-FLAGS seen from a second
 * connection, live in its IDLE and on a fresh FETCH.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ImapFlow } from 'imapflow';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';

const app = await startImapAppliance();
t.teardown(() => app.close());
const ca = fs.readFileSync(path.join(app.dataDir, 'tls', 'self-signed-cert.pem'));

interface Entry { src?: string; msg?: string; [k: string]: unknown }

/** An imapflow connection as alice, its log entries kept (src 'c': what it sent, 's': what it got). */
function client(): { c: ImapFlow; log: Entry[]; sent: () => string[]; when: (test: (e: Entry) => boolean) => Promise<Entry> } {
  const log: Entry[] = [];
  const waiters: { test: (e: Entry) => boolean; resolve: (e: Entry) => void }[] = [];
  const take = (e: Entry) => {
    log.push(e);
    for (const w of [...waiters]) if (w.test(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
  };
  const logger = { debug: take, info: take, warn: take, error: take };
  const c = new ImapFlow({ host: 'localhost', port: app.imapsPort, secure: true, tls: { ca: [ca] }, auth: { user: 'alice@example.test', pass: 'pw-alice' }, logger });
  return {
    c, log,
    sent: () => log.filter((e) => e.src === 'c').map((e) => String(e.msg)),
    when: (test) => {
      const seen = log.find(test);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

const send = (subject: string, body = 'body') => imaplib(app, `
send('alice', b'From: Sender <sender@example.org>\\r\\nTo: alice@example.test\\r\\nSubject: ${subject}\\r\\nMessage-ID: <${subject.replace(/ /g, '.')}@example.org>\\r\\n\\r\\n${body}\\r\\n')
`);

t.test('imapflow: TLS, LIST special-use, FETCH, IDLE exists, MOVE, APPEND, flags from a second connection', async (t) => {
  await send('first message', 'first body');
  const a = client();
  await a.c.connect();
  t.teardown(() => a.c.logout().catch(() => undefined));
  t.ok(a.c.secureConnection, 'implicit TLS, certificate checked against the CA');
  t.ok(a.c.capabilities.has('MOVE'), 'MOVE advertised');
  t.ok(a.c.capabilities.has('IDLE'), 'IDLE advertised');

  // LIST: INBOX and the RFC 6154 folders with their attributes
  const list = await a.c.list();
  const use = Object.fromEntries(list.map((m) => [m.path, m.specialUse ?? '']));
  t.match(use, { INBOX: '\\Inbox', Sent: '\\Sent', Drafts: '\\Drafts', Trash: '\\Trash', Junk: '\\Junk' }, 'special-use flags present');
  const sentEntry = list.find((m) => m.path === 'Sent');
  t.ok(sentEntry?.flags.has('\\Sent'), 'the \\Sent attribute on the LIST line itself');

  // FETCH envelope + source + flags
  const box = await a.c.mailboxOpen('INBOX');
  t.equal(box.exists, 1);
  const [first] = await a.c.fetchAll('1:*', { uid: true, envelope: true, source: true, flags: true });
  t.equal(first.envelope?.subject, 'first message');
  t.same(first.envelope?.from, [{ name: 'Sender', address: 'sender@example.org' }]);
  t.equal(first.envelope?.messageId, '<first.message@example.org>');
  t.match(first.source?.toString(), /\r\n\r\nfirst body\r\n$/, 'the source with its body');
  t.match(first.source?.toString(), /^Return-Path: <sender@example\.org>\r\nReceived: from /, 'as delivered (Return-Path and the appliance\'s Received first)');
  t.same([...(first.flags ?? [])], [], 'no flags yet (BODY[] fetched with PEEK)');

  // IDLE: a message delivered over SMTP meanwhile wakes it with EXISTS
  const exists = once(a.c, 'exists') as Promise<[{ path: string; count: number; prevCount: number }]>;
  const idling = a.c.idle();
  await a.when((e) => e.src === 's' && /^\+/.test(String(e.msg))); // the server's "+ idling"
  t.match(a.sent().at(-1), /^\S+ IDLE$/, 'imapflow is in IDLE');
  await send('second message', 'second body');
  const [ev] = await exists;
  t.match(ev, { path: 'INBOX', count: 2, prevCount: 1 }, 'exists event during IDLE');
  const second = await a.c.fetchOne('2', { uid: true, envelope: true });
  await idling;
  t.ok(second, 'the new message fetched after IDLE');
  if (!second) throw new Error('no second message');
  t.equal(second.envelope?.subject, 'second message');
  t.ok(a.sent().includes('DONE'), 'IDLE ended with DONE');

  // MOVE to Trash: the MOVE command itself (no COPY + EXPUNGE fallback)
  const moved = await a.c.messageMove(String(first.uid), 'Trash', { uid: true });
  t.ok(moved, 'messageMove succeeded');
  t.ok(moved && moved.uidMap?.get(first.uid), 'COPYUID mapping returned (RFC 4315)');
  t.match(a.sent().find((m) => / MOVE /.test(m)), /^\S+ UID MOVE \d+ Trash$/, 'imapflow sent UID MOVE');
  t.notOk(a.sent().some((m) => / (UID )?(COPY|EXPUNGE)/.test(m)), 'no COPY/EXPUNGE fallback');
  const inboxAfter = await a.c.fetchAll('1:*', { envelope: true });
  t.same(inboxAfter.map((m) => m.envelope?.subject), ['second message'], 'gone from INBOX');
  await a.c.mailboxOpen('Trash');
  const trash = await a.c.fetchAll('1:*', { uid: true, envelope: true, source: true });
  t.same(trash.map((m) => m.envelope?.subject), ['first message'], 'in Trash');
  t.equal(trash[0].uid, moved && moved.uidMap?.get(first.uid), 'at the UID MOVE reported');
  t.match(trash[0].source?.toString(), /first body/);

  // APPEND with flags (and a keyword)
  const draft = 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: a draft\r\n\r\ndraft body\r\n';
  const appended = await a.c.append('Drafts', draft, ['\\Draft', '\\Seen', '$Later'], new Date('2024-01-02T03:04:05Z'));
  t.ok(appended && appended.uid, 'APPENDUID returned');
  await a.c.mailboxOpen('Drafts');
  const [d] = await a.c.fetchAll('1:*', { uid: true, flags: true, source: true, internalDate: true });
  t.equal(d.uid, appended && appended.uid);
  t.same([...(d.flags ?? [])].sort(), ['$Later', '\\Draft', '\\Seen'], 'flags as appended');
  t.equal(d.source?.toString(), draft, 'the appended bytes');
  t.equal(new Date(d.internalDate as Date).toISOString(), '2024-01-02T03:04:05.000Z', 'the INTERNALDATE given');

  // flags set on one connection, seen on a second one: live in its IDLE, then on a FETCH
  const b = client();
  await b.c.connect();
  t.teardown(() => b.c.logout().catch(() => undefined));
  await b.c.mailboxOpen('INBOX');
  await a.c.mailboxOpen('INBOX');
  const flagsEvent = once(b.c, 'flags') as Promise<[{ uid?: number; flags: Set<string> }]>;
  const bIdle = b.c.idle();
  await b.when((e) => e.src === 's' && /^\+/.test(String(e.msg)));
  t.ok(await a.c.messageFlagsAdd(String(second.uid), ['\\Flagged', '\\Seen', '$Important'], { uid: true }));
  t.match(a.sent().at(-1), /^\S+ UID STORE \d+ \+FLAGS \(.*\\Flagged.*\)/, 'imapflow sent STORE +FLAGS');
  const [fe] = await flagsEvent;
  t.same([...fe.flags].sort(), ['$Important', '\\Flagged', '\\Seen'], 'the second connection told in its IDLE');
  await b.c.noop();
  await bIdle;
  t.ok(await a.c.messageFlagsRemove(String(second.uid), ['\\Seen'], { uid: true }));
  t.match(a.sent().at(-1), /^\S+ UID STORE \d+ -FLAGS \(\\Seen\)/, 'imapflow sent STORE -FLAGS');
  const [seenByB] = await b.c.fetchAll('1:*', { uid: true, flags: true });
  t.equal(seenByB.uid, second.uid);
  t.same([...(seenByB.flags ?? [])].sort(), ['$Important', '\\Flagged'], 'the second connection fetches the flags as left');
});

t.test('imapflow on the plain port with its defaults: STARTTLS before the login (LOGINDISABLED until then)', async (t) => {
  const log: Entry[] = [];
  const take = (e: Entry) => void log.push(e);
  const c = new ImapFlow({ host: 'localhost', port: app.imapPort, secure: false, tls: { ca: [ca] }, auth: { user: 'alice@example.test', pass: 'pw-alice' }, logger: { debug: take, info: take, warn: take, error: take } });
  await c.connect();
  t.teardown(() => c.logout().catch(() => undefined));
  const sent = log.filter((e) => e.src === 'c').map((e) => String(e.msg));
  const starttls = sent.findIndex((m) => /^\S+ STARTTLS$/.test(m));
  const login = sent.findIndex((m) => /^\S+ (LOGIN|AUTHENTICATE) /.test(m));
  t.ok(starttls >= 0, 'imapflow upgraded with STARTTLS on its own');
  t.ok(login > starttls, 'and logged in only after it');
  const greeting = log.find((e) => e.src === 's' && /^\* OK /.test(String(e.msg)));
  t.match(greeting?.msg, /LOGINDISABLED/, 'the server said LOGINDISABLED before TLS');
  t.ok(c.authenticated, 'logged in');
  const box = await c.mailboxOpen('INBOX');
  t.ok(box.exists >= 0, 'INBOX opened over the upgraded connection');
});
