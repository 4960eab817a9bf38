import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore } from './index.ts';
import { UsageError } from '../../../core/errors.ts';

const base = { fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false };

function fresh() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  return { dir, stores: openEmbeddedStore(dir) };
}

t.test('accounts: create with special-use folders, verify, secrets only for APOP accounts', async (t) => {
  const { stores } = fresh();
  await stores.domains.create({ name: 'Example.TEST' });
  const a = await stores.accounts.create({ ...base, name: 'Alice', domain: 'example.test', password: 'pw' });
  t.equal(a.name, 'alice');
  t.match(a.passwordHash, /^\$scrypt\$/);
  t.same((await stores.mail.listMailboxes(a.id)).map((m) => [m.name, m.specialUse]),
    [['Drafts', '\\Drafts'], ['INBOX', null], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash']]);
  t.ok(await stores.accounts.verifyPassword('alice@example.test', 'pw'));
  t.equal(await stores.accounts.verifyPassword('alice@example.test', 'nope'), null);
  t.equal(await stores.accounts.verifyPassword('ghost@example.test', 'pw'), null);
  t.equal(await stores.accounts.getSecret(a.id), null, 'no clear secret kept for a normal account');
  const d = await stores.accounts.create({ ...base, name: 'dave', domain: 'example.test', password: 'sec', apop: true });
  t.equal(await stores.accounts.getSecret(d.id), 'sec');
  await stores.accounts.update('dave@example.test', { apop: false });
  t.equal(await stores.accounts.getSecret(d.id), null, 'secret dropped with the flag');
  await t.rejects(stores.accounts.create({ ...base, name: 'alice', domain: 'example.test', password: 'x' }), UsageError);
  await t.rejects(stores.accounts.create({ ...base, name: 'bob', domain: 'nodomain.test', password: 'x' }), /add it first/);
});

t.test('domain account limit (DO-1)', async (t) => {
  const { stores } = fresh();
  await stores.domains.create({ name: 'small.test', accountLimit: 1 });
  await stores.accounts.create({ ...base, name: 'a', domain: 'small.test', password: 'x' });
  await t.rejects(stores.accounts.create({ ...base, name: 'b', domain: 'small.test', password: 'x' }), /limit of 1/);
});

t.test('delivery: UIDs and MODSEQ grow, usage follows, expunge frees blobs', async (t) => {
  const { dir, stores } = fresh();
  await stores.domains.create({ name: 'example.test' });
  const a = await stores.accounts.create({ ...base, name: 'a', domain: 'example.test', password: 'x' });
  const b = await stores.accounts.create({ ...base, name: 'b', domain: 'example.test', password: 'x' });
  const msg = Buffer.from('Subject: x\r\n\r\nbody\r\n');
  await Promise.all([1, 2, 3].map(() => stores.mail.deliver({ accountIds: [a.id, b.id], content: msg, internalDate: new Date() })));
  const inbox = (await stores.mail.mailbox(a.id, 'INBOX'))!;
  const list = await stores.mail.messages(inbox.id);
  t.same(list.map((m) => m.uid), [1, 2, 3]);
  t.ok(list[0].modseq < list[2].modseq);
  t.equal(await stores.mail.usage(a.id), msg.length * 3);
  t.same(await stores.mail.read(list[0].blobId), msg);
  t.same((await stores.mail.expunge(inbox.id, [1, 3, 99])).removed, [1, 3]);
  t.equal(await stores.mail.usage(a.id), msg.length);
  t.equal(((await stores.mail.mailbox(a.id, 'INBOX'))!).uidNext, 4, 'UIDs never reused');
  // the blob is shared with b: still readable
  t.same(await stores.mail.read(list[0].blobId), msg);
  // a large message goes to a file; deleting the accounts frees it
  const big = Buffer.alloc(600 * 1024, 'a');
  await stores.mail.deliver({ accountIds: [a.id], content: big, internalDate: new Date() });
  const files = () => fs.readdirSync(path.join(dir, 'blobs')).flatMap((s) => fs.readdirSync(path.join(dir, 'blobs', s)));
  t.equal(files().length, 1);
  await stores.accounts.delete('a@example.test');
  t.equal(files().length, 0, 'file removed with its last reference');
  await stores.accounts.delete('b@example.test');
  const db = (stores as unknown as { mail: { db: { prepare: (s: string) => { get: () => { n: number } } } } }).mail.db;
  t.equal(db.prepare('SELECT count(*) AS n FROM blobs').get().n, 0, 'no blob rows left');
});

t.test('orphan files from an interrupted commit are swept', async (t) => {
  const { dir, stores } = fresh();
  fs.mkdirSync(path.join(dir, 'blobs', 'ab'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'blobs', 'ab', 'abcdef'), 'partial');
  t.equal(stores.mail.sweepOrphans(), 1);
  t.notOk(fs.existsSync(path.join(dir, 'blobs', 'ab', 'abcdef')));
});
