/**
 * For the crash tests (test/durability.test.ts, test/workers-crash.test.ts): a client of our own
 * that sends numbered messages and records which got a 250, Postfix's smtp-source as a second
 * load, and readers of the store the appliance left behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type Database from '../../appliance/store/embedded/sqlite-driver.ts';
import { RawClient } from './raw-client.ts';

export const SMTP_SOURCE = ['/usr/sbin/smtp-source', '/usr/bin/smtp-source'].find((f) => fs.existsSync(f));

/** The body of our message number `seq`; its last line names the sequence number. */
export function ownBody(seq: number): string {
  const lines = [];
  for (let i = 0; i < 24; i++) lines.push(`seq ${seq} line ${String(i).padStart(2, '0')} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}`);
  lines.push(`END-OF-MESSAGE seq=${seq}`);
  return lines.join('\r\n') + '\r\n';
}

export function ownMessage(seq: number, to: string): string {
  return [
    'From: <durability@x.test>',
    `To: <${to}>`,
    `Subject: durability ${seq}`,
    `Message-ID: <durability-${seq}-${process.pid}@x.test>`,
    `X-Seq: ${seq}`,
    '',
    ownBody(seq),
  ].join('\r\n');
}

export interface OwnLoad {
  /** Sequence numbers whose end-of-data dot was handed to the socket. */
  sent: Set<number>;
  /** Sequence numbers that got a 250 after DATA. */
  acked: Set<number>;
  /** Replies other than 250 after DATA (there should be none). */
  refused: string[];
  /** How each connection ended. */
  endings: string[];
}

/** Sends numbered messages over `connections` parallel sessions until the server goes away. */
export function ownLoad(port: number, connections: number, stop: { now: boolean }, rcpt: string): { state: OwnLoad; done: Promise<void> } {
  const state: OwnLoad = { sent: new Set(), acked: new Set(), refused: [], endings: [] };
  let next = 1;
  const worker = async (): Promise<void> => {
    let c: RawClient | null = null;
    try {
      c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO durability.test');
      while (!stop.now) {
        const seq = next++;
        const r1 = await c.command('MAIL FROM:<durability@x.test>');
        if (!r1.startsWith('250')) throw new Error(`MAIL: ${r1}`);
        const r2 = await c.command(`RCPT TO:<${rcpt}>`);
        if (!r2.startsWith('250')) throw new Error(`RCPT: ${r2}`);
        const r3 = await c.command('DATA');
        if (!r3.startsWith('354')) throw new Error(`DATA: ${r3}`);
        state.sent.add(seq);
        c.write(ownMessage(seq, rcpt) + '.\r\n');
        const r4 = await c.reply(15_000);
        if (r4.startsWith('250')) state.acked.add(seq);
        else state.refused.push(`${seq}: ${r4.trim()}`);
      }
      state.endings.push('stopped');
    } catch (err) {
      state.endings.push((err as Error).message.split(';')[0]);
    } finally {
      c?.close();
    }
  };
  return { state, done: Promise.all(Array.from({ length: connections }, worker)).then(() => undefined) };
}

/** Runs smtp-source; resolves with its exit code and output (it exits 1 when the server dies). */
export function smtpSource(port: number, o: { messages: number; sessions: number; size: number; rcpt: string }): { done: Promise<{ code: number | null; output: string }>; kill: () => void } {
  const child = spawn(SMTP_SOURCE!, ['-s', String(o.sessions), '-m', String(o.messages), '-l', String(o.size),
    '-f', 'sender@x.test', '-t', o.rcpt, `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, output }));
    child.on('error', (err) => resolve({ code: -1, output: String(err) }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** `promise`, or null after `ms` (without a timer left behind to hold the process open). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export const COUNT_SQL = `SELECT a.name || '@' || a.domain AS address, count(m.uid) AS n
  FROM accounts a JOIN mailboxes b ON b.account_id = a.id AND b.name = 'INBOX'
  LEFT JOIN messages m ON m.mailbox_id = b.id GROUP BY a.id`;

export function counts(db: Database.Database): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of db.prepare(COUNT_SQL).all() as { address: string; n: number }[]) out[r.address] = r.n;
  return out;
}

export interface Stored { uid: number; size: number; content: Buffer }

export function storedMessages(db: Database.Database, address: string): Stored[] {
  const [name, domain] = address.split('@');
  return db.prepare(`SELECT m.uid, m.size, b.data AS content FROM messages m
      JOIN mailboxes x ON x.id = m.mailbox_id JOIN accounts a ON a.id = x.account_id
      JOIN blobs b ON b.id = m.blob_id
      WHERE a.name = ? AND a.domain = ? AND x.name = 'INBOX' ORDER BY m.uid`).all(name, domain) as Stored[];
}

export function splitMessage(content: Buffer): { headers: string; body: string } {
  const text = content.toString('latin1');
  const i = text.indexOf('\r\n\r\n');
  return i < 0 ? { headers: text, body: '' } : { headers: text.slice(0, i + 2), body: text.slice(i + 4) };
}

/** Our messages in the store against what our client sent and was acknowledged. */
export function checkOwnMessages(db: Database.Database, rcpt: string, state: OwnLoad): { stored: number; missing: number[]; duplicated: string[]; unsent: number[]; broken: string[] } {
  const mine = storedMessages(db, rcpt);
  const seen = new Map<number, number>();
  const broken: string[] = [];
  for (const m of mine) {
    const { headers, body } = splitMessage(m.content);
    const seq = Number(/\r\nX-Seq: (\d+)\r\n/i.exec(headers)?.[1] ?? NaN);
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    if (!Number.isInteger(seq)) broken.push(`uid ${m.uid}: no X-Seq header`);
    else if (body !== ownBody(seq)) broken.push(`uid ${m.uid} (seq ${seq}): body of ${body.length} bytes differs from the ${ownBody(seq).length} sent`);
    if (m.size !== m.content.length) broken.push(`uid ${m.uid}: size column ${m.size}, blob ${m.content.length} bytes`);
  }
  return {
    stored: mine.length,
    missing: [...state.acked].filter((s) => !seen.has(s)).sort((a, b) => a - b),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([s, n]) => `${s}x${n}`),
    unsent: [...seen.keys()].filter((s) => !state.sent.has(s)),
    broken,
  };
}

/** The store's own bookkeeping: blob references, UIDs, usage. */
export function bookkeeping(db: Database.Database): { orphanBlobs: number; uidNextBehind: unknown[]; usageWrong: unknown[] } {
  return {
    orphanBlobs: (db.prepare(`SELECT count(*) AS n FROM blobs WHERE id NOT IN (SELECT blob_id FROM messages UNION SELECT blob_id FROM queue)`).get() as { n: number }).n,
    uidNextBehind: db.prepare(`SELECT b.id FROM mailboxes b WHERE b.uid_next <= (SELECT coalesce(max(uid), 0) FROM messages WHERE mailbox_id = b.id)`).all(),
    usageWrong: db.prepare(`SELECT a.name, a.usage, (SELECT coalesce(sum(m.size), 0) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = a.id) AS stored
      FROM accounts a WHERE a.usage != stored`).all(),
  };
}
