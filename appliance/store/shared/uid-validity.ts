/** UIDVALIDITY for a new mailbox (RFC 3501 §2.3.1.1), shared by the embedded and the PostgreSQL store. */

/**
 * UIDVALIDITY must change whenever a mailbox name is reused with new UIDs; seconds since
 * the epoch plus a per-process counter keeps it increasing without a lookup.
 */
let lastValidity = 0;
export function nextUidValidity(): number {
  lastValidity = Math.max(lastValidity + 1, Math.floor(Date.now() / 1000));
  return lastValidity;
}

/**
 * The value nextUidValidity() would give, without taking it: for a statement that creates a
 * mailbox only when one is missing (a delivery to a new mailbox), sent for every batch.
 */
export function peekUidValidity(): number {
  return Math.max(lastValidity + 1, Math.floor(Date.now() / 1000));
}
