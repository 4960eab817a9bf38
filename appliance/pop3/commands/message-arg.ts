/** The message-number argument shared by LIST, UIDL, RETR, TOP and DELE (RFC 1939 §5). */
import type { DropMessage } from '../maildrop.ts';
import { R } from '../replies.ts';
import { MessageGoneError } from '../../../core/errors.ts';
import type { Pop3Session } from '../types.ts';
import type { MessageContent } from '../../../core/store/content.ts';

/** The message, or null after answering -ERR for a missing or deleted one. */
export async function messageArg(s: Pop3Session, arg: string): Promise<DropMessage | null> {
  const found = s.drop().lookup(arg);
  if (found.ok) return found.message;
  await s.write(found.reason === 'deleted' ? R.alreadyDeleted(Number(arg)) : R.noSuchMessage());
  return null;
}

/**
 * The message's content (streamed by RETR and TOP), or null after answering `-ERR [SYS/PERM]`
 * when another session (IMAP EXPUNGE) deleted it since this maildrop was opened: not an
 * internal error, nothing to log.
 */
export async function openMessage(s: Pop3Session, m: DropMessage, msg: number): Promise<MessageContent | null> {
  try {
    return await s.env.stores.mail.content(m.blobId);
  } catch (err) {
    if (!(err instanceof MessageGoneError)) throw err;
    s.conn.log.info({ msg, blobId: m.blobId }, 'pop3 message deleted by another session');
    await s.write(R.messageGone(msg));
    return null;
  }
}
