/**
 * IMAP OBJECTID (RFC 8474) and STATUS=SIZE (RFC 8438) over a real IMAP session, on the embedded
 * store and on the PostgreSQL store: MAILBOXID on CREATE, SELECT/EXAMINE, STATUS and LIST-STATUS,
 * kept across RENAME and a restart, new when a name is deleted and created again; EMAILID and
 * THREADID in FETCH, kept by COPY and MOVE; SEARCH EMAILID / THREADID; STATUS (SIZE) the sum of
 * the message sizes. The wire is checked on a raw socket.
 */
import t, { type Test } from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { startPostgres } from './helpers/postgres.ts';
import type { UserConfig } from '../core/config/schema.ts';
import path from 'node:path';
import Database from '../appliance/store/embedded/sqlite-driver.ts';

const OBJECTID = '[A-Za-z0-9_-]{1,255}';

const ROOT = 'From: a@example.org\r\nSubject: plan\r\nMessage-ID: <root@example.org>\r\n\r\nshall we?\r\n';
const REPLY = 'From: b@example.org\r\nSubject: Re: plan\r\nMessage-ID: <r1@example.org>\r\nIn-Reply-To: <root@example.org>\r\nReferences: <root@example.org>\r\n\r\nyes\r\n';
const REPLY2 = 'From: a@example.org\r\nSubject: Re: plan\r\nMessage-ID: <r2@example.org>\r\nIn-Reply-To: <r1@example.org>\r\nReferences: <root@example.org>\r\n <r1@example.org>\r\n\r\ngood\r\n';
const OTHER = 'From: c@example.org\r\nSubject: unrelated\r\nMessage-ID: <other@example.org>\r\n\r\n' + 'x'.repeat(5000) + '\r\n';
const MESSAGES = [ROOT, REPLY, REPLY2, OTHER];

let n = 0;
/** Sends a command under a fresh tag; the transcript up to and including its completion. */
async function cmd(c: RawClient, line: string, tag?: string): Promise<string> {
  const tg = tag ?? `t${++n}`;
  c.write(`${tg} ${line}\r\n`);
  let out = '';
  for (;;) {
    const l = await c.line();
    out += l;
    if (l.startsWith(`${tg} `)) return out;
  }
}

async function connect(app: TestAppliance): Promise<RawClient> {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  const r = await cmd(c, 'LOGIN alice@example.test pw-alice');
  if (!/ OK /.test(r)) throw new Error(`login failed: ${r}`);
  return c;
}

const mailboxId = (text: string, re: RegExp) => {
  const m = re.exec(text);
  return m ? m[1] : null;
};

/** `uid → {emailId, threadId}` from a FETCH transcript. */
function objectIds(text: string): Map<number, { email: string; thread: string }> {
  const out = new Map<number, { email: string; thread: string }>();
  for (const m of text.matchAll(/\* \d+ FETCH \(UID (\d+) EMAILID \((\S+?)\) THREADID \((\S+?)\)\)/g)) out.set(Number(m[1]), { email: m[2], thread: m[3] });
  return out;
}

async function suite(t: Test, overrides: UserConfig) {
  const dataDir = tempDir();
  let app = await startTestAppliance({ ...overrides, imap: { allowInsecureAuth: true } }, dataDir);
  await seedAccounts(app, 'example.test', ['alice']);
  t.teardown(() => app.close());
  let c = await connect(app);

  t.match(await cmd(c, 'CAPABILITY'), /^\* CAPABILITY .* OBJECTID[ \r]/m, 'OBJECTID advertised');
  t.match(await cmd(c, 'CAPABILITY'), / STATUS=SIZE[ \r]/, 'STATUS=SIZE advertised');

  // MAILBOXID: CREATE's tagged OK (RFC 8474 §4.1), STATUS, SELECT/EXAMINE, LIST-STATUS
  const created = await cmd(c, 'CREATE Projects');
  const projects = mailboxId(created, new RegExp(`^t\\d+ OK \\[MAILBOXID \\((${OBJECTID})\\)\\] `, 'm'));
  t.ok(projects, `CREATE answers OK [MAILBOXID (id)]: ${created.trim()}`);
  t.match(await cmd(c, 'STATUS Projects (MAILBOXID MESSAGES)'), `* STATUS "Projects" (MAILBOXID (${projects}) MESSAGES 0)\r\n`, 'STATUS (MAILBOXID)');
  t.match(await cmd(c, 'SELECT Projects'), `* OK [MAILBOXID (${projects})]`, 'SELECT has the MAILBOXID response code');
  t.match(await cmd(c, 'EXAMINE Projects'), `* OK [MAILBOXID (${projects})]`, 'EXAMINE too');
  await cmd(c, 'UNSELECT');
  const inboxId = mailboxId(await cmd(c, 'STATUS INBOX (MAILBOXID)'), new RegExp(`MAILBOXID \\((${OBJECTID})\\)`));
  t.ok(inboxId);
  t.not(inboxId, projects, 'each mailbox its own MAILBOXID');
  t.match(await cmd(c, 'LIST "" "Pro*" RETURN (STATUS (MAILBOXID SIZE))'), `* STATUS "Projects" (MAILBOXID (${projects}) SIZE 0)\r\n`, 'LIST-STATUS includes MAILBOXID');
  t.match(await cmd(c, 'STATUS Projects (MAILBOXID SIZE'), /^t\d+ BAD/m, 'a malformed STATUS is BAD');

  // RENAME keeps it (§4.1); delete and create again under the same name: a new one
  t.match(await cmd(c, 'RENAME Projects Archive'), /^t\d+ OK/m);
  t.match(await cmd(c, 'STATUS Archive (MAILBOXID)'), `(MAILBOXID (${projects}))`, 'RENAME keeps the MAILBOXID');
  t.match(await cmd(c, 'CREATE Projects'), /^t\d+ OK \[MAILBOXID/m);
  const reused = mailboxId(await cmd(c, 'STATUS Projects (MAILBOXID)'), new RegExp(`MAILBOXID \\((${OBJECTID})\\)`));
  t.not(reused, projects, 'a new mailbox under the old name gets a new MAILBOXID');
  t.match(await cmd(c, 'DELETE Projects'), /^t\d+ OK/m);
  const again = mailboxId(await cmd(c, 'CREATE Projects'), new RegExp(`\\[MAILBOXID \\((${OBJECTID})\\)\\]`));
  t.ok(again);
  t.not(again, reused, 'deleted and created again: a new MAILBOXID');

  // STATUS=SIZE (RFC 8438): the sum of RFC822.SIZE
  for (const m of MESSAGES) t.match(await cmd(c, `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`), /^t\d+ OK/m);
  const total = MESSAGES.reduce((s, m) => s + Buffer.byteLength(m), 0);
  t.match(await cmd(c, 'STATUS INBOX (SIZE MESSAGES)'), `* STATUS "INBOX" (SIZE ${total} MESSAGES 4)\r\n`, 'STATUS SIZE is the sum of the message sizes');
  t.match(await cmd(c, 'STATUS Archive (SIZE)'), '* STATUS "Archive" (SIZE 0)\r\n', 'empty mailbox: SIZE 0');

  // EMAILID / THREADID (§5.1, §5.2)
  await cmd(c, 'SELECT INBOX');
  const sizes = await cmd(c, 'FETCH 1:* (RFC822.SIZE)');
  t.equal([...sizes.matchAll(/RFC822\.SIZE (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0), total, 'SIZE agrees with RFC822.SIZE');
  const fetched = await cmd(c, 'UID FETCH 1:* (EMAILID THREADID)');
  const ids = objectIds(fetched);
  t.equal(ids.size, 4, `FETCH answers EMAILID and THREADID: ${fetched.split('\r\n')[0]}`);
  for (const { email, thread } of ids.values()) {
    t.match(email, new RegExp(`^M${OBJECTID}$`));
    t.match(thread, new RegExp(`^T${OBJECTID}$`));
  }
  t.equal(new Set([...ids.values()].map((i) => i.email)).size, 4, 'every message its own EMAILID');
  // §7: the EMAILID is a keyed hash, not the store's blob id in any spelling
  const inbox = (await app.store.mail.mailbox((await app.store.accounts.get('alice@example.test'))!.id, 'INBOX'))!;
  const stored = await app.store.mail.messages(inbox.id);
  t.equal(stored.length, 4);
  for (const m of stored) {
    const email = ids.get(m.uid)!.email;
    const spellings = [m.blobId, Buffer.from(m.blobId, 'hex').toString('base64url'), Buffer.from(m.blobId).toString('base64url')].filter((s) => s.length >= 8);
    t.notOk(spellings.some((s) => email.includes(s) || email.includes(s.slice(0, 12))), `EMAILID ${email} does not carry the blob id ${m.blobId}`);
    t.equal(m.emailId, email, 'the store gives the EMAILID FETCH answers');
  }
  const thread = ids.get(1)!.thread;
  t.equal(ids.get(2)!.thread, thread, 'a reply is in its root\'s thread');
  t.equal(ids.get(3)!.thread, thread, 'a reply to the reply too');
  t.not(ids.get(4)!.thread, thread, 'an unrelated message is another thread');
  t.match(await cmd(c, 'FETCH 2 (EMAILID BODY.PEEK[HEADER.FIELDS (SUBJECT)] THREADID)'), `EMAILID (${ids.get(2)!.email}) BODY[HEADER.FIELDS (SUBJECT)]`, 'EMAILID alongside a body section');
  t.match(await cmd(c, 'FETCH 2 (THREADID BODY.PEEK[])'), `THREADID (${thread}) BODY[]`, 'THREADID alongside a streamed body');
  // the session's own STORE replaces its view of the message: the ids must survive it
  await cmd(c, 'STORE 2 +FLAGS.SILENT (\\Flagged)');
  t.same(objectIds(await cmd(c, 'UID FETCH 2 (EMAILID THREADID)')).get(2), ids.get(2), 'EMAILID and THREADID after this session\'s STORE');

  // SEARCH EMAILID / THREADID (§6)
  t.match(await cmd(c, `UID SEARCH EMAILID ${ids.get(2)!.email}`), '* SEARCH 2\r\n', 'SEARCH EMAILID');
  t.match(await cmd(c, `UID SEARCH THREADID ${thread}`), '* SEARCH 1 2 3\r\n', 'SEARCH THREADID');
  t.match(await cmd(c, `SEARCH NOT THREADID ${thread}`), '* SEARCH 4\r\n', 'NOT THREADID');
  t.match(await cmd(c, 'SEARCH EMAILID Mnosuchmessage'), '* SEARCH\r\n', 'an unknown EMAILID finds nothing');
  t.match(await cmd(c, 'SEARCH EMAILID "M!bad"'), /^t\d+ BAD/m, 'an id outside the objectid syntax is BAD');
  if (!overrides.store) {
    // SEARCH THREADID reads no message: the thread stored with it answers. Message 3's bytes
    // are changed under the store (no References any more); its stored thread still counts
    const db = new Database(path.join(dataDir, 'mailserver.db'));
    const changed = REPLY2.replace(/In-Reply-To: .*\r\nReferences: .*\r\n .*\r\n/, '');
    t.equal(db.prepare('UPDATE blobs SET data = ?, size = ? WHERE id = (SELECT blob_id FROM messages WHERE mailbox_id = ? AND uid = 3)')
      .run(Buffer.from(changed), changed.length, inbox.id).changes, 1);
    db.close();
    t.match(await cmd(c, `UID SEARCH THREADID ${thread}`), '* SEARCH 1 2 3\r\n', 'SEARCH THREADID answers from the stored thread data');
    t.not(objectIds(await cmd(c, 'UID FETCH 3 (EMAILID THREADID)')).get(3)?.thread, thread, 'while the message read now names another thread');
  }

  // COPY and MOVE keep the EMAILID (and the THREADID)
  t.match(await cmd(c, 'UID COPY 1 Archive'), /^t\d+ OK/m);
  t.match(await cmd(c, 'UID MOVE 4 Archive'), /^t\d+ OK/m);
  await cmd(c, 'SELECT Archive');
  const moved = objectIds(await cmd(c, 'UID FETCH 1:* (EMAILID THREADID)'));
  t.same([...moved.values()], [ids.get(1), ids.get(4)], 'a copy and a move keep EMAILID and THREADID');
  c.close();

  // the ids are stored: the same after a restart
  await app.close();
  app = await startTestAppliance({ ...overrides, imap: { allowInsecureAuth: true } }, dataDir);
  c = await connect(app);
  t.match(await cmd(c, 'STATUS Archive (MAILBOXID SIZE)'), `* STATUS "Archive" (MAILBOXID (${projects}) SIZE ${Buffer.byteLength(ROOT) + Buffer.byteLength(OTHER)})`, 'MAILBOXID and SIZE after a restart');
  t.match(await cmd(c, 'STATUS INBOX (MAILBOXID)'), `(MAILBOXID (${inboxId}))`);
  await cmd(c, 'EXAMINE Archive');
  t.same([...objectIds(await cmd(c, 'UID FETCH 1:* (EMAILID THREADID)')).values()], [ids.get(1), ids.get(4)], 'EMAILID and THREADID after a restart');
  c.close();
}

t.test('embedded store', (t) => suite(t, {}));

t.test('PostgreSQL store', async (t) => {
  const pg = await startPostgres();
  t.teardown(() => pg.stop());
  await suite(t, { store: { kind: 'postgres', url: await pg.database() } });
});
