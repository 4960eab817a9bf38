/**
 * MAILBOXID of RFC 8474 §4: an opaque id made once when a mailbox is created and stored with
 * it, so that it stays across RENAME and a mailbox deleted and created again under the same name
 * gets a new one. 'F' and 24 hex digits: within the objectid syntax (1-255 of A-Z a-z 0-9 _ -).
 */
import crypto from 'node:crypto';

export function newMailboxObjectId(): string {
  return 'F' + crypto.randomBytes(12).toString('hex');
}
