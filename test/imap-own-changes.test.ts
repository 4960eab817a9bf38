/**
 * A session's own APPEND, STORE and EXPUNGE go into its view without a read back only while nothing else
 * changed the mailbox (their MODSEQ is the view's next); otherwise the view refreshes and misses
 * nothing. Checked on the real embedded store, with a change committed between the view's last
 * look and the session's own write, the window the wire cannot aim at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { SelectedMailbox } from '../appliance/imap/mailbox/selected.ts';

const msg = (s: string) => Buffer.from(`Subject: ${s}\r\n\r\n${s}\r\n`);

t.test('own APPEND, STORE and EXPUNGE applied in place only when their MODSEQ follows the view', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'own-changes-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const stores = openEmbeddedStore(dir, { durable: false });
  t.teardown(() => stores.close());
  await stores.domains.create({ name: 'own.test' });
  const account = await stores.accounts.create({
    name: 'own', domain: 'own.test', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
    pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false, password: 'pw',
  });
  const info = (await stores.mail.mailbox(account.id, 'INBOX'))!;
  const sel = await SelectedMailbox.open(stores.mail, stores.folders, info, false, false);
  const { folders } = stores;

  const first = await folders.append(info.id, msg('one'), ['\\Flagged'], new Date());
  t.ok(first.message, 'the store hands back the message it stored');
  t.ok(await sel.applyOwnAppend(first.message!), 'nothing in between: taken in place');
  t.equal(sel.exists, 1);
  t.equal(sel.info.highestModseq, first.message!.modseq, "the view's HIGHESTMODSEQ is the append's");
  t.ok(sel.isRecent(sel.messages[0]), '\\Recent for the appending session');

  // another session's append and flag change commit before this session's next append
  await folders.append(info.id, msg('two'), [], new Date());
  await folders.setFlags(info.id, [first.uid], 'add', ['\\Answered']);
  // this append claims \Recent in its own transaction, as the session's APPEND to its selected
  // mailbox does: the other session's message 2 was claimed by no one, so it is this session's too
  const third = await folders.append(info.id, msg('three'), [], new Date(), { claimRecent: true });
  t.same(third.recent, { first: 2, next: 4 }, 'the claim made with the append');
  t.notOk(await sel.applyOwnAppend(third.message!, third.recent), 'a change in between: not taken in place');
  t.equal(sel.exists, 1, 'the view left as it was, for the refresh');
  await sel.refresh();
  t.same(sel.messages.map((m) => m.uid), [1, 2, 3], 'the refresh brings all three');
  t.ok(sel.isRecent(sel.messages[1]) && sel.isRecent(sel.messages[2]), 'both \\Recent for this session, from the claim the append made');
  const fourth = await folders.append(info.id, msg('four'), [], new Date(), { claimRecent: true });
  t.ok(await sel.applyOwnAppend(fourth.message!, fourth.recent), 'next in line again: in place');
  t.ok(sel.isRecent(sel.messages[3]), 'and \\Recent from its own claim');
  t.same(await folders.claimRecent(info.id), { first: 5, next: 5 }, 'nothing left to claim');
  await stores.mail.expunge(info.id, [4]);
  await sel.refresh();
  await sel.updates(true);
  t.same(sel.messages[0].flags, ['\\Flagged', '\\Answered'], "and the other session's flag change");

  const own = await folders.setFlags(info.id, [3], 'add', ['\\Seen']);
  sel.applyOwn(own.updated);
  t.equal(sel.info.highestModseq, own.updated[0].modseq, 'own STORE next in line: the view is current');
  await folders.setFlags(info.id, [2], 'add', ['\\Draft']);
  const later = await folders.setFlags(info.id, [3], 'add', ['$Later']);
  sel.applyOwn(later.updated);
  t.ok(sel.info.highestModseq < later.updated[0].modseq, 'a change in between: the view waits for its refresh');
  await sel.refresh();
  t.same(sel.messages[1].flags, ['\\Draft'], "the refresh brings the other session's change");
  t.equal(sel.info.highestModseq, later.updated[0].modseq);

  const gone = await stores.mail.expunge(info.id, [1]);
  t.ok(sel.applyOwnExpunge(gone.removed, gone.modseq), 'own expunge next in line: applied in place');
  t.ok(sel.isExpunged(1));
  t.equal(sel.info.highestModseq, gone.modseq);
  await folders.setFlags(info.id, [2], 'add', ['\\Flagged']);
  const again = await stores.mail.expunge(info.id, [3]);
  t.notOk(sel.applyOwnExpunge(again.removed, again.modseq), 'a change in between: not in place');
  t.ok(sel.isExpunged(3), 'though marked for its EXPUNGE response');
  await sel.refresh();
  t.same(sel.messages[1].flags, ['\\Draft', '\\Flagged'], 'the refresh brings the change in between');
  t.equal(sel.info.highestModseq, again.modseq);
});
