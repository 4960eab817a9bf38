/**
 * The message submission rules (RFC 6409) of a session on a `submission.listen` listener, on top
 * of the plain SMTP listener's. Checked by onMailFrom (envelope.ts) before any plugin:
 *
 * - RFC 6409 §4.3 and RFC 4954 §6: no MAIL before AUTH, `530 5.7.0 Authentication required`
 *   (a list poster's AUTH with a list password counts: it may post to its list only);
 * - RFC 6409 §6.1 (the MSA checks the submitter may use the sender): MAIL FROM must be the
 *   authenticated account, one of its aliases, or <> (`553 5.7.1`, sender-login.ts), on
 *   submission always, as Postfix's master.cf submission service with
 *   `reject_sender_login_mismatch`; on the other listeners only with smtp.senderLoginMatch.
 *
 * The From: header is not checked here: RFC 6409 §8 leaves it to the MSA, and a From: other
 * than the login is legitimate (a Sender: for a delegate, a role address, a list reply); the
 * operator who wants it refused uses relay-effect's `senderTrust: 'envelope-and-header'`.
 * AUTH on submission follows the one policy of every SMTP listener (smtp.auth.allowInsecure:
 * TLS first, STARTTLS or implicit TLS), and an authenticated session relays (auth.ts).
 */
import type { Connection } from '../../core/session.ts';
import type { ReplyError } from '../../core/errors.ts';
import { REPLIES } from './replies.ts';

/** The refusal of a MAIL FROM on a submission listener before AUTH, else null. */
export function unauthenticatedSubmission(conn: Pick<Connection, 'submission' | 'user' | 'listPoster'>): ReplyError | null {
  return conn.submission && !conn.user && !conn.listPoster ? REPLIES.authRequired() : null;
}

/** Whether an authenticated session's MAIL FROM must be owned by its account. */
export function mustOwnSender(conn: Pick<Connection, 'submission'>, senderLoginMatch: boolean): boolean {
  return !!conn.submission || senderLoginMatch;
}
