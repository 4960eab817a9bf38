/** The message-number argument shared by LIST, UIDL, RETR, TOP and DELE (RFC 1939 §5). */
import type { DropMessage } from '../maildrop.ts';
import { R } from '../replies.ts';
import type { Pop3Session } from '../types.ts';

/** The message, or null after answering -ERR for a missing or deleted one. */
export async function messageArg(s: Pop3Session, arg: string): Promise<DropMessage | null> {
  const found = s.drop().lookup(arg);
  if (found.ok) return found.message;
  await s.write(found.reason === 'deleted' ? R.alreadyDeleted(Number(arg)) : R.noSuchMessage());
  return null;
}
