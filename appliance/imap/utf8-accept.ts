/**
 * UTF8=ACCEPT (RFC 6855), once the client has sent `ENABLE UTF8=ACCEPT` (§3):
 * - mailbox names go both ways as UTF-8, not modified UTF-7 (§3), as with IMAP4rev2 (RFC 9051 §5.1),
 *   and go out as quoted strings (IMAP4rev2 alone keeps sending a non-ASCII name as a literal);
 * - header strings (ENVELOPE) that are UTF-8 go out as quoted strings, UTF-8 in QUOTED-CHAR
 *   (§3, the `quoted` of RFC 6855 §7 / RFC 9051), and not only as literals;
 * - SEARCH with a CHARSET argument is a BAD (§3);
 * - APPEND takes the message as `UTF8 (~{n} ...)` (§4).
 * Without it nothing changes: names in modified UTF-7, 8-bit header strings as literals.
 */
import type { ImapSession } from './types.ts';

export const UTF8_ACCEPT = 'UTF8=ACCEPT';

/** ENABLE UTF8=ACCEPT was sent. */
export const utf8Accepted = (s: Pick<ImapSession, 'enabled'>): boolean => s.enabled.has(UTF8_ACCEPT);

/** Mailbox names are UTF-8 on the wire: UTF8=ACCEPT, or IMAP4rev2 enabled. */
export const utf8Mode = (s: Pick<ImapSession, 'enabled'>): boolean => s.enabled.has(UTF8_ACCEPT) || s.enabled.has('IMAP4REV2');
