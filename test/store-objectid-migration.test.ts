/**
 * The OBJECTID schema migration (RFC 8474 MAILBOXID) on both stores: a data directory and a
 * PostgreSQL database made by the build before it (schema up to that migration, mailboxes
 * without ids) are migrated when the store opens, and every existing mailbox gets its own
 * MAILBOXID, kept from then on; mailboxes created afterwards get one too.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import Database from '../appliance/store/embedded/sqlite-driver.ts';
import { MIGRATIONS as SQLITE } from '../appliance/store/embedded/schema.ts';
import { MIGRATIONS as POSTGRES } from '../appliance/store/postgres/schema.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { openPostgresStore } from '../appliance/store/postgres/index.ts';
import { startPostgres } from './helpers/postgres.ts';
import type { Stores } from '../core/store/ports.ts';

const ID = /^F[A-Za-z0-9_-]{1,254}$/;
/** The schema of the build before the MAILBOXID migration: the migrations before it. */
const before = (migrations: string[]) => migrations.findIndex((m) => /ADD COLUMN object_id/.test(m));
const OLD_BOXES = ['INBOX', 'Sent', 'Work', 'Work/2024'];

/** The ids after the migration, by name; checks they are well-formed, distinct and stable. */
async function check(t: Test, stores: Stores, reopen: () => Promise<Stores>) {
  const acct = (await stores.accounts.get('old@example.test'))!;
  const boxes = await stores.mail.listMailboxes(acct.id);
  t.same(boxes.map((b) => b.name).sort(), [...OLD_BOXES].sort(), 'the old mailboxes are there');
  for (const b of boxes) t.match(b.objectId, ID, `${b.name} got a MAILBOXID`);
  t.equal(new Set(boxes.map((b) => b.objectId)).size, boxes.length, 'each its own');
  const [msg] = await stores.mail.messages(boxes.find((b) => b.name === 'INBOX')!.id);
  t.equal(msg.blobId, 'oldblob1', 'the old message keeps its blob (its EMAILID)');
  t.match(msg.emailId, /^M[A-Za-z0-9_-]{22}$/, 'an EMAILID from the installation key');
  t.equal(msg.threadId, 'T' + msg.emailId.slice(1), 'its thread filled in from its header (no Message-ID: a thread of its own)');
  await stores.folders.create(acct.id, 'New');
  const created = (await stores.mail.mailbox(acct.id, 'New'))!;
  t.match(created.objectId, ID, 'a mailbox created after the migration has one');
  await stores.close();
  const again = await reopen();
  const later = await again.mail.listMailboxes(acct.id);
  t.same(later.filter((b) => b.name !== 'New').map((b) => [b.name, b.objectId]), boxes.map((b) => [b.name, b.objectId]), 'the same ids after reopening');
  await again.close();
}

t.test('embedded: a data directory of the previous schema gets MAILBOXIDs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objectid-migration-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = new Database(path.join(dir, 'mailserver.db'));
  for (const m of SQLITE.slice(0, before(SQLITE))) db.exec(m);
  db.pragma(`user_version = ${before(SQLITE)}`);
  t.notOk((db.prepare('PRAGMA table_info(mailboxes)').all() as { name: string }[]).some((c) => c.name === 'object_id'), 'no object_id before');
  db.prepare("INSERT INTO domains (name, admin) VALUES ('example.test', 'postmaster')").run();
  db.prepare("INSERT INTO accounts (id, name, domain, password_hash) VALUES (1, 'old', 'example.test', 'x')").run();
  OLD_BOXES.forEach((n, i) => db.prepare('INSERT INTO mailboxes (id, account_id, name, uid_validity, uid_next) VALUES (?, 1, ?, ?, 2)').run(i + 1, n, 1000 + i));
  db.prepare("INSERT INTO blobs (id, size, data, refs) VALUES ('oldblob1', 3, x'616263', 1)").run();
  db.prepare("INSERT INTO messages (mailbox_id, uid, modseq, internal_date, size, blob_id) VALUES (1, 1, 1, 0, 3, 'oldblob1')").run();
  db.close();
  await check(t, openEmbeddedStore(dir), async () => openEmbeddedStore(dir));
});

t.test('postgres: a database of the previous schema gets MAILBOXIDs', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.stop());
  const url = await server.database();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (const m of POSTGRES.slice(0, before(POSTGRES))) await c.query(m);
  await c.query('CREATE TABLE mailserver_schema (version integer NOT NULL)');
  await c.query('INSERT INTO mailserver_schema (version) VALUES ($1)', [before(POSTGRES)]);
  t.equal((await c.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'mailboxes' AND column_name = 'object_id'")).rowCount, 0, 'no object_id before');
  await c.query("INSERT INTO domains (name, admin) VALUES ('example.test', 'postmaster')");
  await c.query("INSERT INTO accounts (id, name, domain, password_hash) VALUES (1, 'old', 'example.test', 'x')");
  for (const [i, n] of OLD_BOXES.entries()) await c.query('INSERT INTO mailboxes (id, account_id, name, uid_validity, uid_next) VALUES ($1, 1, $2, $3, 2)', [i + 1, n, 1000 + i]);
  await c.query("SELECT setval(pg_get_serial_sequence('mailboxes', 'id'), 10)");
  await c.query("INSERT INTO blobs (id, size, data, refs) VALUES ('oldblob1', 3, '\\x616263', 1)");
  await c.query("INSERT INTO messages (mailbox_id, uid, modseq, internal_date, size, blob_id) VALUES (1, 1, 1, 0, 3, 'oldblob1')");
  await c.end();
  const open = () => openPostgresStore({ url, nodeName: 'migrated' });
  await check(t, await open(), open);
});
