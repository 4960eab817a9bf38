/**
 * EMAILID and THREADID of RFC 8474 §5 (objectid: 1-255 of A-Z a-z 0-9 _ -).
 *
 * EMAILID (§5.1) names the immutable content of a message: the store derives it from the
 * message's blob with the installation's key (store/shared/object-ids.ts, MessageMeta.emailId),
 * so it does not show the blob id (§7). COPY, MOVE and the RENAME of INBOX share the blob with
 * the new message, so those keep the EMAILID; one SMTP delivery to several accounts is one blob
 * too, and so one EMAILID.
 *
 * THREADID (§5.2) is made from the header, which never changes, so it is stable without being
 * stored: the thread's root is the first Message-ID of References (RFC 5322 §3.6.4: a reply lists
 * its thread from the root), else that of In-Reply-To, else the message's own Message-ID; a
 * message with none of them is a thread of its own. A reply whose References lost the root
 * starts another thread: the limit of deciding from one message alone. A message without any
 * is a thread of its own, named after its EMAILID (never after the blob id).
 */
import crypto from 'node:crypto';
import { header, parseMime, type MimePart } from './mime.ts';

const msgIds = (raw: string | null): string[] => (raw ?? '').match(/<[^<>\s]+>/g) ?? [];
const digest = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 24);

/** The digest of the thread's root Message-ID, '' when the message names none. */
function rootOf(root: MimePart | null): string {
  const rootId = msgIds(root && header(root, 'references'))[0] ?? msgIds(root && header(root, 'in-reply-to'))[0] ?? msgIds(root && header(root, 'message-id'))[0];
  return rootId ? digest(rootId) : '';
}

/**
 * The thread root of a message from its header section alone, as the store keeps it with the
 * blob (`blobs.thread_root`), so that SEARCH THREADID reads no message (MessageMeta.threadId).
 */
export function threadRootOf(head: Buffer): string {
  return rootOf(parseMime(Buffer.concat([head, Buffer.from('\r\n')])));
}

/** THREADID from a stored thread root (threadRootOf) and the EMAILID. */
export const threadIdOf = (threadRoot: string, emailId: string): string => 'T' + (threadRoot || emailId.slice(1));

/** THREADID of a message from its parsed header (`root`) and its EMAILID (MessageMeta.emailId). */
export function threadId(root: MimePart | null, emailId: string): string {
  return threadIdOf(rootOf(root), emailId);
}

/** Whether a string is an objectid at all (SEARCH EMAILID / THREADID take one). */
export const isObjectId = (s: string) => /^[A-Za-z0-9_-]{1,255}$/.test(s);
