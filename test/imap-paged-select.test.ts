/**
 * The selected mailbox stays right although its listing is read in pages with the event loop
 * given back between them (appliance/store/shared/pages.ts): changes that commit while SELECT
 * reads the pages (a flag change on a page already read and on one not read yet, expunges,
 * a new message) are all in the view after the first refresh, and the client is told of those
 * it could not have seen (RFC 3501 §7.4.1 EXPUNGE, §7.4.2 FETCH; RFC 7162 §3.1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { seedBigMailbox } from './helpers/big-mailbox.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { SelectedMailbox } from '../appliance/imap/mailbox/selected.ts';
import { yieldToLoop } from '../appliance/runtime/loop-slice.ts';
import { PAGE_ROWS } from '../appliance/store/shared/pages.ts';

const N = 10 * PAGE_ROWS;

t.test('changes committed during the paging of SELECT reach the view on the first refresh', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paged-select-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await seedBigMailbox(dir, 'big@big.test', 'pw', N);
  const stores = openEmbeddedStore(dir, { durable: false });
  t.teardown(() => stores.close());
  const account = (await stores.accounts.get('big@big.test'))!;
  const info = (await stores.mail.mailbox(account.id, 'INBOX'))!;

  let opened = false;
  const opening = SelectedMailbox.open(stores.mail, stores.folders, info, false, false).then((sel) => ((opened = true), sel));
  // the first page is read before the loop is given back; the rest after these changes start
  await yieldToLoop();
  await Promise.all([
    stores.folders.setFlags(info.id, [1], 'add', ['\\Flagged']),
    stores.folders.setFlags(info.id, [N - 10], 'add', ['\\Flagged']),
    stores.mail.expunge(info.id, [2, N - 1000]),
    stores.folders.append(info.id, Buffer.from('Subject: new\r\n\r\nnew\r\n'), [], new Date()),
  ]);
  t.notOk(opened, 'the changes committed while the pages were read');
  const sel = await opening;
  // what SELECT's `* n EXISTS` tells the client
  const shown = sel.exists;

  await sel.refresh();
  const lines = await sel.updates(true);
  t.same(sel.messages.map((m) => m.uid), (await stores.mail.messages(info.id)).map((m) => m.uid), 'the view has the store\'s messages');
  t.equal(sel.exists, N - 2 + 1);
  const flags = (uid: number) => sel.messages[sel.indexOf(uid)].flags;
  t.ok(flags(1).includes('\\Flagged') && flags(N - 10).includes('\\Flagged'), 'both flag changes are in the view');
  t.ok(flags(N + 1), 'the new message is in the view');
  // message 2 was on the first page, read before its expunge: the client is told
  t.ok(lines.includes('* 2 EXPUNGE\r\n'), `EXPUNGE of message 2 in ${JSON.stringify(lines.slice(0, 4))}`);
  t.ok(lines.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Flagged/.test(l)), 'the flag change of message 1 (read before it) is announced');
  // the client's count: SELECT's, less one an EXPUNGE, or a later EXISTS (RFC 3501 §7.3.1, §7.4.1)
  let count = shown;
  for (const l of lines) {
    if (/^\* \d+ EXPUNGE\r\n$/.test(l)) count--;
    const exists = /^\* (\d+) EXISTS\r\n$/.exec(l);
    if (exists) count = Number(exists[1]);
  }
  t.equal(count, N - 1, `the client ends with the store's count (SELECT said ${shown}; then ${JSON.stringify(lines)})`);

  await sel.refresh();
  t.same(await sel.updates(true), [], 'nothing more to tell');
});

t.test('an expunge followed by an APPEND before the next refresh is still announced', async (t) => {
  // an expunge used to be looked for only when the newest MODSEQ had no message row (test/imap-changes.test.ts has the case of a later flag change)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paged-select-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await seedBigMailbox(dir, 'big@big.test', 'pw', 5);
  const stores = openEmbeddedStore(dir, { durable: false });
  t.teardown(() => stores.close());
  const account = (await stores.accounts.get('big@big.test'))!;
  const info = (await stores.mail.mailbox(account.id, 'INBOX'))!;
  const sel = await SelectedMailbox.open(stores.mail, stores.folders, info, false, false);
  await stores.mail.expunge(info.id, [3]);
  await stores.folders.append(info.id, Buffer.from('Subject: new\r\n\r\nnew\r\n'), [], new Date());
  await sel.refresh();
  t.same(await sel.updates(true), ['* 3 EXPUNGE\r\n', '* 5 EXISTS\r\n', '* 5 RECENT\r\n']);
  t.same(sel.messages.map((m) => m.uid), [1, 2, 4, 5, 6]);
});
