/**
 * Builders for the shim's tests: Connection/Transaction objects shaped as the listener makes
 * them, a HookRunner, a temporary Haraka config dir, and CRLF messages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HookRunner } from '../hooks.ts';
import { silentLogger, type Logger } from '../log.ts';
import { createConnection, type Connection, type Recipient, type Transaction } from '../session.ts';

let seq = 0;

export function makeConn(over: Partial<Connection> = {}): Connection {
  seq++;
  const conn = createConnection({
    id: `conn-${seq}`,
    protocol: 'smtp',
    remoteAddress: '192.0.2.10',
    remotePort: 40000 + seq,
    localAddress: '127.0.0.1',
    localPort: 25,
    log: silentLogger,
  });
  return { ...conn, ...over };
}

export function rcpt(address: string, params: Record<string, string | boolean> = {}): Recipient {
  return { address, params, local: true };
}

/** A transaction with its sender set, attached to `conn` as the listener does. */
export function makeTx(conn: Connection, from: string, rcpts: string[] = [], message?: Buffer): Transaction {
  seq++;
  const tx: Transaction = {
    id: `tx-${seq}`,
    mailFrom: { address: from, params: {} },
    rcptTo: rcpts.map((r) => rcpt(r)),
    addedHeaders: [],
    removedHeaders: [],
    message,
    state: {},
    notes: {},
  };
  conn.transaction = tx;
  return tx;
}

export function makeHooks(log: Logger = silentLogger, timeoutMs = 5000): HookRunner {
  return new HookRunner({ timeoutMs, log });
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory with `files` written in it (name -> content), removed when the process exits. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haraka-shim-'));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

/** A CRLF message from header lines and body lines. */
export function message(headers: string[], body: string[] = ['Hello.']): Buffer {
  return Buffer.from([...headers, '', ...body, ''].join('\r\n'));
}

/** A logger that keeps every record (level, msg and fields) in `records`. */
export function memoryLogger(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const write = (level: string) => (obj: unknown, msg?: string) => {
    const fields = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>) : { msg: String(obj) };
    records.push({ level, ...fields, ...(msg !== undefined ? { msg } : {}) });
  };
  const fake = {
    level: 'trace',
    isLevelEnabled: () => true,
    child: () => fake,
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('fatal'),
  };
  return { log: fake as unknown as Logger, records };
}
