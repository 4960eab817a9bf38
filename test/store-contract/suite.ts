/**
 * The store contract: every port of core/store/ports.ts with the behaviour the appliance relies
 * on, run against each store implementation (test/store-embedded.test.ts,
 * test/store-postgres.test.ts). `backend()` gives a fresh, empty store; `open()` opens one more
 * instance on it (a second node, or a second process on the embedded data directory).
 * Cluster-only checks (notifications and leases across nodes) run when `cluster` is set.
 */
import type { Test } from 'tap';
import type { AccountInput, MessageMeta, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';

export interface Backend {
  /** Opens an instance of this backend's store; `node` names it (queue leases). */
  open(node?: string): Promise<Stores>;
}

export interface ContractOptions {
  backend: () => Promise<Backend>;
  /** Instances share notifications and lease ownership per node (a cluster store). */
  cluster: boolean;
}

const base: Omit<AccountInput, 'name' | 'domain' | 'password'> = {
  fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false,
};
const msg = (n: number | string = '') => Buffer.from(`Subject: test ${n}\r\n\r\nbody ${n}\r\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function storeContract(t: Test, opts: ContractOptions): void {
  const opened: Stores[] = [];
  t.teardown(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  });
  async function fresh(node = 'node1') {
    const backend = await opts.backend();
    const open = async (n = node) => {
      const s = await backend.open(n);
      opened.push(s);
      return s;
    };
    const stores = await open();
    await stores.domains.create({ name: 'example.test' });
    const mk = (name: string, extra: Partial<AccountInput> = {}) => stores.accounts.create({ ...base, name, domain: 'example.test', password: 'pw', ...extra });
    return { stores, open, mk };
  }

  t.test('domains: create, list, update, delete with their accounts', async (t) => {
    const { stores, mk } = await fresh();
    const d = await stores.domains.create({ name: 'Other.TEST', accountLimit: 2 });
    t.same(d, { name: 'other.test', accountLimit: 2, admin: 'Administrator@other.test', copyErrorsToAdmin: false });
    await t.rejects(stores.domains.create({ name: 'other.test' }), UsageError);
    await t.rejects(stores.domains.create({ name: 'bad_domain!' }), /not a valid domain/);
    t.same((await stores.domains.list()).map((x) => x.name), ['example.test', 'other.test']);
    t.same(await stores.domains.update('other.test', { copyErrorsToAdmin: true, accountLimit: 1 }),
      { name: 'other.test', accountLimit: 1, admin: 'Administrator@other.test', copyErrorsToAdmin: true });
    t.equal((await stores.domains.get('OTHER.test'))!.copyErrorsToAdmin, true);
    await t.rejects(stores.domains.update('nope.test', {}), /no domain/);
    await stores.accounts.create({ ...base, name: 'x', domain: 'other.test', password: 'pw' });
    await t.rejects(stores.accounts.create({ ...base, name: 'y', domain: 'other.test', password: 'pw' }), /limit of 1/);
    const a = await mk('keep');
    await stores.mail.deliver({ accountIds: [a.id, (await stores.accounts.get('x@other.test'))!.id], content: msg(1), internalDate: new Date() });
    await stores.domains.delete('other.test');
    t.equal(await stores.domains.get('other.test'), null);
    t.equal(await stores.accounts.get('x@other.test'), null, 'accounts go with their domain');
    const [m] = await stores.mail.messages((await stores.mail.mailbox(a.id, 'INBOX'))!.id);
    t.same(await stores.mail.read(m.blobId), msg(1), 'a blob shared with another domain stays');
    await t.rejects(stores.domains.delete('other.test'), /no domain/);
  });

  t.test('accounts: CRUD, passwords, secrets, special-use folders', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('Alice', { fullName: 'Alice A', quota: 1000 });
    t.equal(a.name, 'alice');
    t.equal(a.fullName, 'Alice A');
    t.equal(a.quota, 1000);
    t.match(a.passwordHash, /^\$scrypt\$/);
    t.same((await stores.mail.listMailboxes(a.id)).map((m) => [m.name, m.specialUse]),
      [['Drafts', '\\Drafts'], ['INBOX', null], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash']]);
    t.equal((await stores.accounts.verifyPassword('ALICE@example.test', 'pw'))?.id, a.id);
    t.equal(await stores.accounts.verifyPassword('alice@example.test', 'nope'), null);
    t.equal(await stores.accounts.verifyPassword('ghost@example.test', 'pw'), null);
    t.equal(await stores.accounts.verifyPassword('not-an-address', 'pw'), null);
    t.equal(await stores.accounts.getSecret(a.id), null, 'no clear secret for a normal account');
    const d = await mk('dave', { apop: true, password: 'sec' });
    t.equal(await stores.accounts.getSecret(d.id), 'sec');
    await stores.accounts.update('dave@example.test', { password: 'new' });
    t.equal(await stores.accounts.getSecret(d.id), 'new');
    t.ok(await stores.accounts.verifyPassword('dave@example.test', 'new'));
    await stores.accounts.update('dave@example.test', { apop: false });
    t.equal(await stores.accounts.getSecret(d.id), null, 'secret dropped with the flag');
    // an imported hash is kept as it is
    const hashed = await mk('imported', { password: a.passwordHash });
    t.equal(hashed.passwordHash, a.passwordHash);
    t.ok(await stores.accounts.verifyPassword('imported@example.test', 'pw'));
    await t.rejects(mk('alice'), /already exists/);
    await t.rejects(stores.accounts.create({ ...base, name: 'bob', domain: 'nodomain.test', password: 'x' }), /add it first/);
    await t.rejects(mk('bad name'), /not a valid account name/);
    const u = await stores.accounts.update('alice@example.test', { smtpAuth: true, pop3Disabled: true, sharedPath: 'shared/x', sharedWrite: true });
    t.same([u.smtpAuth, u.pop3Disabled, u.imapDisabled, u.sharedPath, u.sharedWrite], [true, true, false, 'shared/x', true]);
    t.same((await stores.accounts.getById(a.id))!.sharedPath, 'shared/x');
    t.same((await stores.accounts.list()).map((x) => x.name), ['alice', 'dave', 'imported']);
    t.same((await stores.accounts.list('EXAMPLE.test')).length, 3);
    await stores.accounts.delete('dave@example.test');
    t.equal(await stores.accounts.get('dave@example.test'), null);
    await t.rejects(stores.accounts.delete('dave@example.test'), /no account/);
    await t.rejects(stores.accounts.update('dave@example.test', {}), /no account/);
  });

  t.test('concurrent account creation respects the domain limit', async (t) => {
    const { stores } = await fresh();
    await stores.domains.create({ name: 'small.test', accountLimit: 3 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) =>
      stores.accounts.create({ ...base, name: `u${i}`, domain: 'small.test', password: 'x' })));
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    t.equal((await stores.accounts.list('small.test')).length, 3);
  });

  t.test('aliases', async (t) => {
    const { stores } = await fresh();
    await stores.aliases.add({ alias: 'Info@example.test', target: 'Real@example.test', rewrite: true });
    await stores.aliases.add({ alias: '*@example.test', target: '*@def.test', rewrite: null });
    await stores.aliases.add({ alias: 'x@other.test', target: 'y@other.test', rewrite: false });
    await t.rejects(stores.aliases.add({ alias: 'info@example.test', target: 'z@example.test', rewrite: null }), /already exists/);
    t.same(await stores.aliases.list('example.test'), [
      { alias: '*@example.test', target: '*@def.test', rewrite: null },
      { alias: 'info@example.test', target: 'real@example.test', rewrite: true },
    ]);
    t.equal((await stores.aliases.list()).length, 3);
    t.equal((await stores.aliases.list()).find((a) => a.alias === 'x@other.test')!.rewrite, false);
    await stores.aliases.delete('INFO@example.test');
    await t.rejects(stores.aliases.delete('info@example.test'), /no alias/);
    t.equal((await stores.aliases.list()).length, 2);
  });

  t.test('delivery: UIDs and MODSEQ grow, usage follows, expunge frees blobs', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const b = await mk('b');
    await Promise.all([1, 2, 3].map(() => stores.mail.deliver({ accountIds: [a.id, b.id], content: msg(), internalDate: new Date(1_700_000_000_000) })));
    const inbox = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    t.equal(inbox.uidNext, 4);
    const list = await stores.mail.messages(inbox.id);
    t.same(list.map((m) => m.uid), [1, 2, 3]);
    t.ok(list[0].modseq < list[1].modseq && list[1].modseq < list[2].modseq);
    t.same(list[0].internalDate, new Date(1_700_000_000_000));
    t.equal(list[0].size, msg().length);
    t.equal(await stores.mail.usage(a.id), msg().length * 3);
    t.same(await stores.mail.read(list[0].blobId), msg());
    t.same((await stores.mail.expunge(inbox.id, [1, 3, 99])).removed, [1, 3]);
    t.same(await stores.mail.expunge(inbox.id, [1]), { removed: [], modseq: null }, 'expunged twice: nothing');
    t.equal(await stores.mail.usage(a.id), msg().length);
    t.equal((await stores.mail.mailbox(a.id, 'INBOX'))!.uidNext, 4, 'UIDs never reused');
    t.same(await stores.mail.read(list[0].blobId), msg(), 'the blob is shared with b: still readable');
    // a delivery to a named mailbox creates it; flags are kept
    await stores.mail.deliver({ accountIds: [a.id], content: msg('x'), internalDate: new Date(), mailbox: 'Lists/ietf', flags: ['\\Seen'] });
    const ietf = (await stores.mail.mailbox(a.id, 'Lists/ietf'))!;
    t.same((await stores.mail.messages(ietf.id)).map((m) => [m.uid, m.flags]), [[1, ['\\Seen']]]);
    // a large message (the embedded store keeps those in files)
    const big = Buffer.alloc(600 * 1024, 'a');
    await stores.mail.deliver({ accountIds: [a.id], content: big, internalDate: new Date() });
    const bigMeta = (await stores.mail.messages(inbox.id)).at(-1)!;
    t.equal(bigMeta.size, big.length);
    t.same(await stores.folders.readRange(bigMeta.blobId, 300 * 1024, 10), Buffer.alloc(10, 'a'));
    t.equal((await stores.folders.readRange(bigMeta.blobId, big.length - 4, 100)).length, 4, 'a range past the end is cut');
    await stores.accounts.delete('a@example.test');
    await t.rejects(stores.mail.read(bigMeta.blobId), /not found/, 'the blob went with its last reference');
    t.same(await stores.mail.read(list[0].blobId), msg(), 'still referenced by b');
    await stores.accounts.delete('b@example.test');
    await t.rejects(stores.mail.read(list[0].blobId), /not found/);
    await stores.mail.deliver({ accountIds: [], content: msg(), internalDate: new Date() });
  });

  t.test('UIDs and MODSEQs stay unique and ordered under 50 concurrent deliveries from two instances', async (t) => {
    const { stores, open, mk } = await fresh();
    const a = await mk('a');
    const b = await mk('b');
    const other = await open('node2');
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? other : stores).mail.deliver({
      accountIds: i % 3 ? [a.id, b.id] : [b.id, a.id], content: msg(i), internalDate: new Date(),
    })));
    for (const acct of [a, b]) {
      const box = (await stores.mail.mailbox(acct.id, 'INBOX'))!;
      const list = await stores.mail.messages(box.id);
      t.same(list.map((m) => m.uid), Array.from({ length: 50 }, (_, i) => i + 1), 'UIDs 1..50, no gaps, no duplicates');
      for (let i = 1; i < list.length; i++) if (!(list[i].modseq > list[i - 1].modseq)) t.fail(`MODSEQ not increasing at UID ${list[i].uid}`);
      t.equal(box.uidNext, 51);
      t.ok(box.highestModseq >= list[49].modseq);
      t.equal(await stores.mail.usage(acct.id), list.reduce((s, m) => s + m.size, 0), 'usage is the sum of the sizes');
    }
  });

  t.test('a delivery to an account deleted meanwhile fails alone among concurrent ones', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const gone = await mk('gone');
    await stores.accounts.delete('gone@example.test');
    // delivered together (the cluster store commits deliveries arriving together in one transaction)
    const results = await Promise.allSettled(Array.from({ length: 9 }, (_, i) => stores.mail.deliver({
      accountIds: i === 4 ? [gone.id] : [a.id], content: msg(i), internalDate: new Date(),
    })));
    t.same(results.map((r) => r.status), results.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')), 'only the delivery to the deleted account fails');
    const list = await stores.mail.messages((await stores.mail.mailbox(a.id, 'INBOX'))!.id);
    t.equal(list.length, 8, 'the other eight are stored');
    t.same(new Set(await Promise.all(list.map(async (m) => (await stores.mail.read(m.blobId)).toString('latin1')))).size, 8, 'each once');
  });

  t.test('folders: create, rename with children, rename INBOX, delete, subscriptions', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    t.equal(await stores.folders.create(a.id, 'Work'), true);
    t.equal(await stores.folders.create(a.id, 'Work'), false);
    t.equal(await stores.folders.create(a.id, 'Work/2024'), true);
    t.equal(await stores.folders.create(a.id, 'Workshop'), true);
    const work = (await stores.mail.mailbox(a.id, 'Work'))!;
    t.ok(work.uidValidity > 0);
    t.same(await stores.folders.byId(work.id), work);
    await stores.folders.append(work.id, msg('w'), ['\\Flagged'], new Date());
    await stores.folders.rename(a.id, 'Work', 'Jobs');
    t.same((await stores.mail.listMailboxes(a.id)).map((m) => m.name), ['Drafts', 'INBOX', 'Jobs', 'Jobs/2024', 'Junk', 'Sent', 'Trash', 'Workshop']);
    t.equal((await stores.mail.mailbox(a.id, 'Jobs'))!.id, work.id, 'same mailbox, same UIDs');
    await t.rejects(stores.folders.rename(a.id, 'Jobs', 'Workshop'), /exists/);
    await t.rejects(stores.folders.rename(a.id, 'Nope', 'X'), /no mailbox/);
    // RFC 3501 §6.3.5: INBOX's messages move to the new name, INBOX stays, empty
    await stores.mail.deliver({ accountIds: [a.id], content: msg(1), internalDate: new Date() });
    await stores.mail.deliver({ accountIds: [a.id], content: msg(2), internalDate: new Date() });
    await stores.folders.rename(a.id, 'INBOX', 'Old');
    const old = (await stores.mail.mailbox(a.id, 'Old'))!;
    t.same((await stores.mail.messages(old.id)).map((m) => m.uid), [1, 2]);
    const inbox = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    t.same(await stores.mail.messages(inbox.id), []);
    t.equal(inbox.uidNext, 3);
    const usage = await stores.mail.usage(a.id);
    t.equal(usage, msg('w').length + msg(1).length + msg(2).length, 'rename keeps usage');
    await stores.folders.delete(a.id, 'Old');
    t.equal(await stores.mail.mailbox(a.id, 'Old'), null);
    t.equal(await stores.mail.usage(a.id), msg('w').length, 'deleting a mailbox frees its usage');
    await t.rejects(stores.folders.delete(a.id, 'Old'), /no mailbox/);
    // a name used again gets a new UIDVALIDITY
    await stores.folders.create(a.id, 'Old');
    t.ok((await stores.mail.mailbox(a.id, 'Old'))!.uidValidity > old.uidValidity);
    await stores.folders.subscribe(a.id, 'Jobs', true);
    await stores.folders.subscribe(a.id, 'Jobs', true);
    await stores.folders.subscribe(a.id, 'INBOX', true);
    t.same(await stores.folders.subscriptions(a.id), ['INBOX', 'Jobs']);
    await stores.folders.subscribe(a.id, 'Jobs', false);
    t.same(await stores.folders.subscriptions(a.id), ['INBOX']);
  });

  t.test('object ids (RFC 8474): MAILBOXID kept on rename, new on recreate; copies and moves keep the blob (EMAILID)', async (t) => {
    const { stores, open, mk } = await fresh();
    const a = await mk('a');
    const b = await mk('b');
    const ID = /^F[A-Za-z0-9_-]{1,254}$/;
    const all = await stores.mail.listMailboxes(a.id);
    for (const m of all) t.match(m.objectId, ID, `${m.name} has a MAILBOXID`);
    t.equal(new Set([...all, ...(await stores.mail.listMailboxes(b.id))].map((m) => m.objectId)).size, all.length * 2, 'every mailbox its own');
    await stores.folders.create(a.id, 'Work');
    await stores.folders.create(a.id, 'Work/2024');
    const work = (await stores.mail.mailbox(a.id, 'Work'))!;
    const child = (await stores.mail.mailbox(a.id, 'Work/2024'))!;
    t.same(await stores.folders.byId(work.id), work, 'byId gives the same MAILBOXID');
    // RFC 8474 §4.1: RENAME keeps the MAILBOXID (the children's too)
    await stores.folders.rename(a.id, 'Work', 'Jobs');
    t.equal((await stores.mail.mailbox(a.id, 'Jobs'))!.objectId, work.objectId, 'renamed: same MAILBOXID');
    t.equal((await stores.mail.mailbox(a.id, 'Jobs/2024'))!.objectId, child.objectId, 'its child: same MAILBOXID');
    // persisted: another instance on the same data reads the same ids
    const other = await open('node2');
    t.equal((await other.mail.mailbox(a.id, 'Jobs'))!.objectId, work.objectId, 'another instance reads the same MAILBOXID');
    // deleted and created again under the same name: a new MAILBOXID
    await stores.folders.delete(a.id, 'Jobs/2024');
    await stores.folders.create(a.id, 'Jobs/2024');
    const again = (await stores.mail.mailbox(a.id, 'Jobs/2024'))!;
    t.match(again.objectId, ID);
    t.not(again.objectId, child.objectId, 'recreated: a new MAILBOXID');
    // RENAME INBOX: INBOX keeps its MAILBOXID, the new mailbox gets its own, messages keep their blob
    const inbox = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    await stores.mail.deliver({ accountIds: [a.id, b.id], content: msg('both'), internalDate: new Date() });
    const [delivered] = await stores.mail.messages(inbox.id);
    const [theirs] = await stores.mail.messages((await stores.mail.mailbox(b.id, 'INBOX'))!.id);
    t.equal(theirs.blobId, delivered.blobId, 'one delivery to two accounts: one content object');
    await stores.folders.rename(a.id, 'INBOX', 'Old');
    t.equal((await stores.mail.mailbox(a.id, 'INBOX'))!.objectId, inbox.objectId, 'INBOX keeps its MAILBOXID');
    const old = (await stores.mail.mailbox(a.id, 'Old'))!;
    t.not(old.objectId, inbox.objectId, 'the mailbox made by RENAME INBOX has its own');
    t.equal((await stores.mail.messages(old.id))[0].blobId, delivered.blobId, 'RENAME INBOX keeps the message blob');
    // COPY and MOVE keep the content object (RFC 8474 §5.1)
    const jobs = (await stores.mail.mailbox(a.id, 'Jobs'))!;
    await stores.folders.copy(old.id, [1], jobs.id);
    await stores.folders.move(old.id, [1], again.id);
    t.equal((await stores.mail.messages(jobs.id))[0].blobId, delivered.blobId, 'a copy keeps the blob');
    t.equal((await stores.mail.messages(again.id))[0].blobId, delivered.blobId, 'a move keeps the blob');
    // a separate APPEND of the same bytes is another message
    const ap = await stores.folders.append(jobs.id, msg('both'), [], new Date());
    t.not((await stores.mail.messages(jobs.id)).find((m) => m.uid === ap.uid)!.blobId, delivered.blobId, 'an APPEND is a new content object');
  });

  t.test('counts: size is the sum of the message sizes (STATUS=SIZE, RFC 8438)', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const box = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    t.equal((await stores.folders.counts(box.id)).size, 0, 'empty mailbox: 0');
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(300 * 1024, 'x'), Buffer.from('\r\n')]);
    await stores.mail.deliver({ accountIds: [a.id], content: msg('one'), internalDate: new Date() });
    await stores.folders.append(box.id, big, [], new Date());
    await stores.folders.append(box.id, msg('three'), [], new Date());
    t.equal((await stores.folders.counts(box.id)).size, msg('one').length + big.length + msg('three').length);
    await stores.mail.expunge(box.id, [2]);
    t.equal((await stores.folders.counts(box.id)).size, msg('one').length + msg('three').length, 'an expunged message no longer counts');
  });

  t.test('folders: flags with MODSEQ, CONDSTORE, counts, \\Recent, vanished', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const box = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    for (let i = 0; i < 4; i++) await stores.mail.deliver({ accountIds: [a.id], content: msg(i), internalDate: new Date() });
    const before = (await stores.folders.byId(box.id))!.highestModseq;
    const r1 = await stores.folders.setFlags(box.id, [1, 2, 99], 'add', ['\\Seen', 'Custom']);
    t.same(r1.updated.map((u) => [u.uid, u.flags]), [[1, ['\\Seen', 'Custom']], [2, ['\\Seen', 'Custom']]]);
    t.ok(r1.updated[0].modseq > before);
    t.equal(r1.updated[0].modseq, r1.updated[1].modseq, 'one STORE, one MODSEQ');
    t.same(r1.failed, []);
    t.same((await stores.folders.changedSince(box.id, before)).map((m) => m.uid), [1, 2]);
    t.same((await stores.folders.setFlags(box.id, [1], 'add', ['\\SEEN'])).updated, [], 'flags compare case-insensitively');
    const r2 = await stores.folders.setFlags(box.id, [1], 'remove', ['custom']);
    t.same(r2.updated.map((u) => u.flags), [['\\Seen']]);
    const r3 = await stores.folders.setFlags(box.id, [3], 'set', ['\\Deleted', '\\deleted', '\\Answered']);
    t.same(r3.updated.map((u) => u.flags), [['\\Deleted', '\\Answered']]);
    // RFC 7162 §3.1.3 UNCHANGEDSINCE
    const m2 = (await stores.mail.messages(box.id)).find((m) => m.uid === 2)!;
    const r4 = await stores.folders.setFlags(box.id, [1, 2], 'add', ['$Label'], m2.modseq - 1);
    t.same(r4.failed, [1, 2]);
    const r5 = await stores.folders.setFlags(box.id, [2], 'add', ['\\Seen'], m2.modseq);
    t.same(r5.updated, [{ uid: 2, flags: ['\\Seen', 'Custom'], modseq: m2.modseq }], 'unchanged flags are still reported');
    const counts = await stores.folders.counts(box.id);
    t.same(counts, { messages: 4, unseen: 2, recent: 4, size: [0, 1, 2, 3].reduce((s, i) => s + msg(i).length, 0) });
    // \Recent: the first claim takes everything, the next nothing, a new message is recent again
    t.same(await stores.folders.claimRecent(box.id), { first: 1, next: 5 });
    t.same(await stores.folders.claimRecent(box.id), { first: 5, next: 5 });
    t.equal((await stores.folders.counts(box.id)).recent, 0);
    await stores.mail.deliver({ accountIds: [a.id], content: msg(5), internalDate: new Date() });
    const claims = await Promise.all([stores.folders.claimRecent(box.id), stores.folders.claimRecent(box.id)]);
    t.same(claims.map((c) => c.next - c.first).sort(), [0, 1], 'two sessions at once: one gets the new message as recent');
    // VANISHED (RFC 7162 §3.2.5)
    const mark = (await stores.folders.byId(box.id))!.highestModseq;
    const expunged = await stores.mail.expunge(box.id, [2, 3]);
    t.same(expunged.removed, [2, 3]);
    const after = (await stores.folders.byId(box.id))!.highestModseq;
    // where the store tells the expunge's MODSEQ, it is the mailbox's MODSEQ after it
    if (expunged.modseq !== null) t.equal(expunged.modseq, after, "the expunge's MODSEQ");
    t.ok(after > mark);
    t.same(await stores.folders.vanished(box.id, mark), [2, 3]);
    t.same(await stores.folders.vanished(box.id, after), []);
    t.same((await stores.mail.messages(box.id)).map((m) => m.uid), [1, 4, 5]);
    t.equal(await stores.folders.byId(999_999), null);
  });

  t.test('folders: append, copy, move (RFC 6851) with usage and shared blobs', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const b = await mk('b');
    const inbox = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    const trash = (await stores.mail.mailbox(a.id, 'Trash'))!;
    const other = (await stores.mail.mailbox(b.id, 'INBOX'))!;
    const date = new Date(1_650_000_000_000);
    const ap = await stores.folders.append(inbox.id, msg('a1'), ['\\Seen', '\\seen'], date);
    t.equal(ap.uid, 1);
    t.equal(ap.uidValidity, inbox.uidValidity);
    await stores.folders.append(inbox.id, msg('a2'), [], date);
    await stores.folders.append(inbox.id, msg('a3'), [], date);
    const [m1] = await stores.mail.messages(inbox.id);
    t.same(m1.flags, ['\\Seen']);
    // where the store hands back the appended message, it is the message as stored
    const meta = (m: MessageMeta) => ({ mailboxId: m.mailboxId, uid: m.uid, modseq: m.modseq, flags: m.flags, internalDate: m.internalDate, size: m.size, blobId: m.blobId, emailId: m.emailId, threadId: m.threadId });
    if (ap.message) t.same(meta(ap.message), meta(m1), 'the appended message as the store lists it');
    t.same(m1.internalDate, date);
    await t.rejects(stores.folders.append(999_999, msg(), [], date), /no such mailbox/);
    const cp = await stores.folders.copy(inbox.id, [3, 1, 42], trash.id);
    t.same(cp, { uidValidity: trash.uidValidity, pairs: [[3, 1], [1, 2]] });
    const trashMsgs = await stores.mail.messages(trash.id);
    t.same(trashMsgs.map((m) => [m.uid, m.flags]), [[1, []], [2, ['\\Seen']]]);
    t.equal(trashMsgs[1].blobId, m1.blobId, 'a copy shares the blob');
    const total = [1, 2, 3].reduce((s, i) => s + msg(`a${i}`).length, 0);
    t.equal(await stores.mail.usage(a.id), total + msg('a3').length + msg('a1').length);
    const mv = await stores.folders.move(inbox.id, [1, 2], other.id);
    t.same(mv.pairs, [[1, 1], [2, 2]]);
    t.same((await stores.mail.messages(inbox.id)).map((m) => m.uid), [3]);
    t.same(await stores.folders.vanished(inbox.id, 0), [1, 2], 'a move leaves VANISHED in the source');
    t.equal(await stores.mail.usage(b.id), msg('a1').length + msg('a2').length, 'a move between accounts moves usage');
    await stores.mail.expunge(trash.id, [2]);
    t.same(await stores.mail.read(m1.blobId), msg('a1'), 'still referenced by b after the copy went');
    await stores.mail.expunge(other.id, [1]);
    await t.rejects(stores.mail.read(m1.blobId), /not found/);
    t.same((await stores.folders.copy(inbox.id, [77], trash.id)).pairs, []);
  });

  t.test('change notifications follow commits', async (t) => {
    const { stores, open, mk } = await fresh();
    const a = await mk('a');
    const box = (await stores.mail.mailbox(a.id, 'INBOX'))!;
    const seen: number[] = [];
    const off = stores.changes.subscribe(a.id, (c) => seen.push(c.mailboxId));
    await stores.mail.deliver({ accountIds: [a.id], content: msg(), internalDate: new Date() });
    await waitFor('delivery notification', () => seen.includes(box.id));
    t.pass('a delivery is announced');
    seen.length = 0;
    await stores.folders.setFlags(box.id, [1], 'add', ['\\Seen']);
    await waitFor('flag notification', () => seen.includes(box.id));
    t.pass('a flag change is announced');
    off();
    if (!opts.cluster) return;
    // a second node hears of the first's changes (LISTEN/NOTIFY)
    const node2 = await open('node2');
    const remote: number[] = [];
    node2.changes.subscribe(a.id, (c) => remote.push(c.mailboxId));
    await stores.mail.deliver({ accountIds: [a.id], content: msg(), internalDate: new Date() });
    await waitFor('notification on node 2', () => remote.includes(box.id));
    t.pass('node 2 hears of a delivery on node 1');
    remote.length = 0;
    await stores.mail.expunge(box.id, [1]);
    await waitFor('expunge notification on node 2', () => remote.includes(box.id));
    t.pass('node 2 hears of an expunge on node 1');
    let woke = 0;
    node2.queue.onEnqueue(() => woke++);
    await stores.queue.enqueue({ mailFrom: 'a@example.test', recipients: ['x@remote.test'], content: msg() });
    await waitFor('enqueue wakes node 2', () => woke > 0);
    t.pass("node 2's delivery service wakes on node 1's enqueue");
  });

  t.test('queue: enqueue, claim with leases, outcomes, retry, release, delete', async (t) => {
    const { stores } = await fresh();
    const q = stores.queue;
    let woke = 0;
    const off = q.onEnqueue(() => woke++);
    const id = await q.enqueue({ mailFrom: 'a@example.test', recipients: ['x@one.test', 'y@one.test', 'z@Two.test'], content: msg('q') });
    t.ok(woke > 0, 'onEnqueue listeners hear of the commit');
    off();
    const entry = (await q.get(id))!;
    t.equal(entry.mailFrom, 'a@example.test');
    t.equal(entry.size, msg('q').length);
    t.same(entry.recipients.map((r) => [r.recipient, r.domain, r.status, r.attempts]),
      [['x@one.test', 'one.test', 'pending', 0], ['y@one.test', 'one.test', 'pending', 0], ['z@Two.test', 'two.test', 'pending', 0]]);
    t.same(await q.read(entry.blobId), msg('q'));
    t.same((await q.list()).map((e) => e.id), [id]);
    const skip = await q.claim(10, 60_000, { skipDomains: ['one.test'] });
    t.same(skip.map((b) => b.domain), ['two.test'], 'skipDomains');
    const batches = await q.claim(10, 60_000);
    t.same(batches.map((b) => [b.domain, b.recipients.map((r) => r.recipient).sort()]), [['one.test', ['x@one.test', 'y@one.test']]]);
    t.same(await q.claim(10, 60_000), [], 'leased recipients are not claimed again');
    const [b1] = batches;
    t.equal(b1.queueId, id);
    t.ok(b1.leaseUntil.getTime() > Date.now() + 50_000);
    const later = new Date(Date.now() + 3_600_000);
    await q.complete(b1, [
      { recipient: 'x@one.test', result: 'sent', response: '250 ok' },
      { recipient: 'y@one.test', result: 'deferred', error: '451 later', nextAttempt: later, refusal: true },
    ]);
    const e2 = (await q.get(id))!;
    const y = e2.recipients.find((r) => r.recipient === 'y@one.test')!;
    t.same([y.status, y.attempts, y.refusals, y.lastError, y.nextAttempt.getTime()], ['pending', 1, 1, '451 later', later.getTime()]);
    t.ok(y.firstFailure);
    t.equal(e2.recipients.find((r) => r.recipient === 'x@one.test')!.status, 'sent');
    t.same(await q.claim(10, 60_000), [], 'a deferred recipient waits for its next attempt');
    // release gives the two.test batch back
    await q.release(skip[0]);
    const again = await q.claim(10, 60_000);
    t.same(again.map((b) => b.domain), ['two.test']);
    // a failure with a bounce: the bounce is queued in the same commit
    await q.complete(again[0], [{ recipient: 'z@Two.test', result: 'failed', error: '550 no such user' }],
      [{ mailFrom: '', recipients: ['a@example.test'], content: msg('bounce') }]);
    const all = await q.list();
    t.equal(all.length, 2);
    const bounce = all.find((e) => e.id !== id)!;
    t.equal(bounce.mailFrom, '');
    t.same(await q.read(bounce.blobId), msg('bounce'));
    // retryNow makes the deferred recipient due
    t.equal(await q.retryNow(id), 1);
    const retried = await q.claim(10, 60_000);
    t.same(retried.map((b) => b.queueId).sort(), [id, bounce.id].sort());
    for (const b of retried) {
      await q.complete(b, b.recipients.map((r) => ({ recipient: r.recipient, result: 'sent' as const, response: '250 ok' })));
    }
    t.same(await q.list(), [], 'finished messages leave the queue');
    await t.rejects(q.read(entry.blobId), /not found/, 'with their blob');
    const id2 = await q.enqueue({ mailFrom: 'a@example.test', recipients: ['r@three.test'], content: msg() });
    t.equal(await q.retryNow(), 1);
    t.equal(await q.delete(id2), true);
    t.equal(await q.delete(id2), false);
    t.equal(await q.get(id2), null);
  });

  t.test('queue: a lease runs out and the batch is claimed again; releaseAll', async (t) => {
    const { stores, open } = await fresh();
    const q = stores.queue;
    const id = await q.enqueue({ mailFrom: 'a@example.test', recipients: ['x@one.test'], content: msg() });
    const [b] = await q.claim(5, 300);
    t.ok(b);
    t.same(await q.claim(5, 300), []);
    await sleep(400);
    const [b2] = await q.claim(5, 60_000);
    t.equal(b2?.queueId, id, 'claimed again after the lease ran out');
    // the stale holder's outcome no longer applies (its lease was taken over)
    await q.complete(b, [{ recipient: 'x@one.test', result: 'sent', response: '250 stale' }]);
    t.equal((await q.get(id))!.recipients[0].status, 'pending', 'an outcome under a lost lease is ignored');
    if (opts.cluster) {
      const node2 = await open('node2');
      t.equal(await node2.queue.releaseAll(), 0, "another node's releaseAll leaves this node's lease");
      t.same(await q.claim(5, 60_000), []);
      t.equal(await q.releaseAll(), 1, 'its own leases');
    } else {
      t.equal(await q.releaseAll(), 1);
    }
    t.equal((await q.claim(5, 60_000)).length, 1, 'claimable after releaseAll');
  });

  t.test('queue: two instances claiming at once never take the same recipient', async (t) => {
    const { stores, open } = await fresh();
    const node2 = await open('node2');
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) {
      ids.add(await stores.queue.enqueue({ mailFrom: 'a@example.test', recipients: [`r${i}@d${i % 4}.test`, `s${i}@d${i % 4}.test`], content: msg(i) }));
    }
    const claimed: string[] = [];
    const worker = async (s: Stores) => {
      for (;;) {
        const got = await s.queue.claim(3, 60_000);
        if (!got.length) return;
        for (const b of got) for (const r of b.recipients) claimed.push(`${b.queueId}/${r.recipient}`);
      }
    };
    await Promise.all([worker(stores), worker(node2), worker(stores), worker(node2)]);
    t.equal(claimed.length, 60, 'every recipient claimed');
    t.equal(new Set(claimed).size, 60, 'none twice');
  });

  t.test('lists: members, counters, archive, keys, pending, bounces, posters', async (t) => {
    const { stores } = await fresh();
    const l = stores.lists!;
    t.equal(await l.addMember('Staff', { address: 'A@x.test', name: 'A' }), true);
    t.equal(await l.addMember('staff', { address: 'b@x.test', name: '' }), true);
    t.equal(await l.addMember('staff', { address: 'a@X.test', name: 'Renamed' }), false);
    t.same((await l.members('staff')).map((m) => [m.address, m.name, m.bounces, m.disabled]), [['A@x.test', 'Renamed', 0, false], ['b@x.test', '', 0, false]]);
    t.equal(await l.isMember('STAFF', 'a@x.test'), true);
    t.equal(await l.recordBounce('staff', 'b@x.test'), 1);
    t.equal(await l.recordBounce('staff', 'b@x.test'), 2);
    t.equal(await l.recordBounce('staff', 'ghost@x.test'), null);
    t.equal(await l.setDisabled('staff', 'b@x.test', true), true);
    const bId = await l.memberId('staff', 'B@x.test');
    t.type(bId, 'number', 'a member has a subscription id');
    t.same((await l.members('staff'))[1], { id: bId, address: 'b@x.test', name: '', bounces: 2, disabled: true });
    await l.addMember('staff', { address: 'b@x.test', name: '' });
    t.same((await l.members('staff'))[1], { id: bId, address: 'b@x.test', name: '', bounces: 0, disabled: false }, 'added again: enabled, count reset, same subscription');
    t.equal(await l.setDisabled('staff', 'ghost@x.test', true), false);
    t.equal(await l.removeMember('staff', 'A@X.TEST'), true);
    t.equal(await l.removeMember('staff', 'a@x.test'), false);
    t.equal(await l.memberId('staff', 'a@x.test'), null, 'no id once removed');
    await l.addMember('staff', { address: 'a@x.test', name: '' });
    const again = await l.memberId('staff', 'a@x.test');
    t.ok(again !== null && again !== bId, 'joining again is a new subscription');
    await l.replaceMembers('staff', [{ address: 'B@x.test', name: 'B' }, { address: 'c@x.test', name: 'C' }, { address: 'C@x.test', name: 'dup' }, { address: 'd@x.test', name: '' }]);
    t.equal(await l.memberId('staff', 'b@x.test'), bId, 'a member the import keeps keeps its subscription');
    t.equal(await l.memberId('staff', 'a@x.test'), null, 'the import removed the others');
    await l.replaceMembers('staff', [{ address: 'c@x.test', name: 'C' }, { address: 'C@x.test', name: 'dup' }, { address: 'd@x.test', name: '' }]);
    t.same((await l.members('staff')).map((m) => m.address), ['c@x.test', 'd@x.test']);
    t.equal(await l.nextCounter('staff', 100), 101);
    t.equal(await l.nextCounter('staff', 0), 102);
    t.equal(await l.nextCounter('staff', 500), 501);
    const counters = await Promise.all(Array.from({ length: 10 }, () => l.nextCounter('busy', 0)));
    t.same(counters.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'concurrent posts get distinct numbers');
    const date = new Date(1_600_000_000_000);
    await l.archive('staff', { n: 1, subject: 'one', from: 'c@x.test', date }, msg(1));
    await l.archive('staff', { n: 2, subject: 'two', from: 'd@x.test', date }, msg(2));
    await l.archive('staff', { n: 2, subject: 'two again', from: 'd@x.test', date }, msg(22));
    t.same(await l.articles('staff'), [{ n: 1, subject: 'one', from: 'c@x.test', date }, { n: 2, subject: 'two again', from: 'd@x.test', date }]);
    t.same(await l.article('staff', 2), msg(22));
    t.equal(await l.article('staff', 3), null);
    t.equal(await l.deleteArticles('staff', [1, 3]), 1);
    t.same((await l.articles('staff')).map((a) => a.n), [2]);
    await l.addKey('staff', 'k1', new Date(Date.now() + 60_000));
    await l.addKey('staff', 'k0', new Date(Date.now() - 1));
    t.equal(await l.validKey('staff', 'k1'), true);
    t.equal(await l.validKey('staff', 'k0'), false);
    t.equal(await l.validKey('other', 'k1'), false);
    await l.addPending({ token: 't1', list: 'Staff', action: 'JOIN', address: 'e@x.test', stage: 'member', expires: new Date(Date.now() + 60_000) });
    await l.addPending({ token: 't2', list: 'staff', action: 'LEAVE', address: 'e@x.test', stage: 'admin', expires: new Date(Date.now() - 1) });
    const p = await l.takePending('t1');
    t.same(p && [p.list, p.action, p.address, p.stage], ['staff', 'JOIN', 'e@x.test', 'member']);
    t.equal(await l.takePending('t1'), null, 'taken once');
    t.equal(await l.takePending('t2'), null, 'expired');
    await l.setPostPasswords({ Staff: 'secret', empty: '' });
    t.equal(await l.verifyPoster(' STAFF ', 'secret'), 'staff');
    t.equal(await l.verifyPoster('staff', 'wrong'), null);
    t.equal(await l.verifyPoster('empty', ''), null);
  });

  t.test('autoreply: claimReply decides once under a race; period, never-again, forget', async (t) => {
    const { stores, mk } = await fresh();
    const a = await mk('a');
    const now = new Date();
    const claim = (when: Date, o: Partial<{ periodMs: number; record: boolean; neverAgain: boolean }> = {}) =>
      stores.autoreply.claimReply(a.id, 'Sender@x.test', { now: when, periodMs: 3_600_000, record: true, neverAgain: false, ...o });
    const race = await Promise.all(Array.from({ length: 10 }, () => claim(now)));
    t.equal(race.filter(Boolean).length, 1, 'one reply for ten deliveries at once');
    t.equal(await claim(new Date(now.getTime() + 1000)), false, 'within the period');
    t.equal(await claim(new Date(now.getTime() + 3_600_001), { record: false }), true, 'after the period');
    const [r] = await stores.autoreply.list(a.id);
    t.same([r.address, r.replies, r.recorded, r.neverAgain, r.lastReply.getTime()], ['sender@x.test', 2, true, false, now.getTime() + 3_600_001]);
    t.equal(await claim(new Date(now.getTime() + 9_000_000), { neverAgain: true }), true);
    t.equal(await claim(new Date(now.getTime() + 99_000_000), { periodMs: 0 }), false, 'never again');
    t.equal(await stores.autoreply.claimReply(a.id, 'other@x.test', { now, periodMs: 0, record: false, neverAgain: false }), true);
    t.equal(await stores.autoreply.claimReply(a.id, 'other@x.test', { now, periodMs: 0, record: false, neverAgain: false }), true, 'period 0: always');
    t.equal(await stores.autoreply.forget(a.id, 'SENDER@x.test'), 1);
    t.equal(await claim(now), true, 'forgotten: replies again');
    t.equal(await stores.autoreply.forget(a.id), 2);
    t.same(await stores.autoreply.list(a.id), []);
  });

  t.test('refused IPs', async (t) => {
    const { stores } = await fresh();
    const r = stores.refusedIps!;
    t.equal(await r.add('192.0.2.1', 'rule 3'), true);
    t.equal(await r.add('192.0.2.1', 'again'), false);
    await sleep(2);
    t.equal(await r.add('2001:db8::1', ''), true);
    t.equal(await r.has('192.0.2.1'), true);
    t.equal(await r.has('192.0.2.2'), false);
    t.same((await r.list()).map((x) => [x.ip, x.reason]), [['192.0.2.1', 'rule 3'], ['2001:db8::1', '']]);
    t.equal(await r.remove('192.0.2.1'), true);
    t.equal(await r.remove('192.0.2.1'), false);
  });
}
