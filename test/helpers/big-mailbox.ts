/**
 * A mailbox of many messages, made in seconds: the rows are inserted straight into a stopped
 * appliance's SQLite store, all sharing one blob (through the store's ports 100,000 deliveries
 * would take minutes). Every third message is unseen. For bench/imap-large.ts and the
 * big-mailbox stall test.
 */
import path from 'node:path';
import Database from '../../appliance/store/embedded/sqlite-driver.ts';
import { seedStore } from './process.ts';

export async function seedBigMailbox(dataDir: string, address: string, password: string, count: number): Promise<void> {
  const [name, domain] = address.split('@');
  await seedStore(dataDir, [domain], { [address]: password });
  const db = new Database(path.join(dataDir, 'mailserver.db'));
  try {
    const box = db.prepare('SELECT m.id FROM mailboxes m JOIN accounts a ON a.id = m.account_id WHERE a.name = ? AND m.name = ?').get(name, 'INBOX') as { id: number };
    const msg = Buffer.from('From: a@b.test\r\nSubject: bulk\r\n\r\nbody\r\n');
    db.transaction(() => {
      db.prepare('INSERT INTO blobs (id, size, data, path, refs) VALUES (?, ?, ?, NULL, ?)').run('bulkblob', msg.length, msg, count);
      const ins = db.prepare('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const now = Date.now();
      for (let uid = 1; uid <= count; uid++) ins.run(box.id, uid, uid + 1, uid % 3 ? '\\Seen' : '', now, msg.length, 'bulkblob');
      db.prepare('UPDATE mailboxes SET uid_next = ?, highest_modseq = ? WHERE id = ?').run(count + 1, count + 1, box.id);
    })();
  } finally {
    db.close();
  }
}
