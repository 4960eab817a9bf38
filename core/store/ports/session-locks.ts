/** The session-lock port: locks held by one node of a cluster for the length of a session. */

export type SessionLockKind = 'pop3';

/**
 * Locks held for the length of a session by this node and freed when the node dies (the POP3
 * maildrop lock, RFC 1939 §8, across the nodes of a cluster).
 */
export interface SessionLocks {
  /** Takes the lock; false when another node holds it. */
  tryLock(kind: SessionLockKind, id: number): Promise<boolean>;
  unlock(kind: SessionLockKind, id: number): Promise<void>;
}
