/**
 * MAILBOXID of RFC 8474 §4: an opaque id made once when a mailbox is created and stored with
 * it, so that it stays across RENAME and a mailbox deleted and created again under the same name
 * gets a new one. 'F' and 24 hex digits: within the objectid syntax (1-255 of A-Z a-z 0-9 _ -).
 *
 * EMAILID of RFC 8474 §5.1: 'M' and a keyed hash of the message's blob id (HMAC-SHA256 with the
 * installation's objectid key, the first 128 bits in base64url, 22 characters). The blob is what
 * COPY, MOVE and a delivery to several accounts share, so they keep one EMAILID; the key keeps the
 * store's own identifier out of what clients see (§7: ids should not reveal information). The key
 * is made once per installation and kept in the store's `secrets` table (beside the password
 * hashes, readable by the appliance alone; shared by the nodes of a PostgreSQL cluster), so the
 * ids are the same across sessions, restarts and nodes.
 */
import crypto from 'node:crypto';

export function newMailboxObjectId(): string {
  return 'F' + crypto.randomBytes(12).toString('hex');
}

/** The name of the objectid key in the `secrets` table. */
export const OBJECTID_SECRET = 'objectid';

/** A new installation key (256 bits, hex as stored). */
export const newObjectIdSecret = (): string => crypto.randomBytes(32).toString('hex');

/** EMAILID of a blob under `key`: 'M' + 22 base64url characters. */
export function emailIdOf(key: Buffer, blobId: string): string {
  return 'M' + crypto.createHmac('sha256', key).update(blobId).digest().subarray(0, 16).toString('base64url');
}

/** EMAILIDs per blob id, remembered (a SELECT lists every message of a mailbox again). */
export class EmailIds {
  private readonly seen = new Map<string, string>();
  constructor(private readonly key: Buffer, private readonly max = 100_000) {}

  of(blobId: string): string {
    let id = this.seen.get(blobId);
    if (id === undefined) {
      if (this.seen.size >= this.max) this.seen.clear();
      this.seen.set(blobId, (id = emailIdOf(this.key, blobId)));
    }
    return id;
  }
}
