/** Builds and keeps the core Connection / Transaction for an smtp-server session. */
import type { SMTPServerSession } from 'smtp-server';
import { createConnection as newConnection, createTransaction, type Connection, type Transaction, type EnvelopeAddress } from '../../core/session.ts';
import type { Logger } from '../../core/log.ts';

const connections = new WeakMap<object, Connection>();


export function createConnection(session: SMTPServerSession, log: Logger, submission = false): Connection {
  const conn = newConnection({
    id: session.id,
    protocol: 'smtp',
    remoteAddress: session.remoteAddress,
    remotePort: session.remotePort,
    localAddress: session.localAddress,
    localPort: session.localPort,
    secure: !!session.secure,
    ...(submission ? { submission } : {}),
    log: log.child({ cid: session.id, remote: session.remoteAddress }),
  });
  connections.set(session, conn);
  return conn;
}

const closeListeners = new WeakMap<object, Set<() => void>>();

/** Calls `fn` when the session's connection closes (smtp-server's onClose); returns an unsubscribe. */
export function onSessionClose(session: object, fn: () => void): () => void {
  let set = closeListeners.get(session);
  if (!set) closeListeners.set(session, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/** smtp-server's onClose: a DATA in flight never ends by itself then (its stream is unpiped). */
export function sessionClosed(session: object): void {
  for (const fn of closeListeners.get(session) ?? []) fn();
  closeListeners.delete(session);
}

export function connectionOf(session: object): Connection {
  const conn = connections.get(session);
  if (!conn) throw new Error('SMTP session without a connection');
  return conn;
}

export function toEnvelopeAddress(address: { address: string | false; args?: unknown } | false | undefined): EnvelopeAddress {
  const a = address || { address: '', args: {} };
  return { address: a.address || '', params: (a.args && typeof a.args === 'object' ? a.args : {}) as Record<string, string | boolean> };
}

/** The transaction of the session, created at MAIL FROM; a new MAIL after RSET starts a new one. */
export function beginTransaction(conn: Connection, from: EnvelopeAddress): Transaction {
  conn.transaction = createTransaction(from);
  return conn.transaction;
}
