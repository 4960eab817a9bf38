/**
 * SMTPUTF8 on the way out (RFC 6531 §3.4). A message needs the extension when an envelope
 * address is not ASCII (a UTF-8 local part or a U-label domain) or when its header section holds
 * UTF-8 (an internationalized header, RFC 6532 §3). To a peer that offers SMTPUTF8 it goes with
 * the SMTPUTF8 parameter on MAIL FROM; to one that does not it is not sent and not downgraded
 * (§3.4: the client must not send it; RFC 6857 downgrading is optional and not done here): the
 * recipients fail permanently, so the sender gets a bounce with
 *   5.6.7 "Non-ASCII addresses not permitted for that sender/recipient" (RFC 6531 §3.5) when an
 *         envelope address is the reason, else
 *   5.6.9 "UTF-8 header message cannot be transferred to one or more recipients" (RFC 6531 §3.5).
 *
 * The queue keeps no record of the SMTPUTF8 parameter the message arrived with: the need is
 * read from the envelope and the header bytes. Legacy 8-bit headers that are not UTF-8 (raw
 * Shift_JIS, Latin-1) do not count: they go on as before.
 */
import { isUtf8 } from 'node:buffer';
import type { SmtpReply } from './smtp-client.ts';
import { NON_ASCII } from '../../core/ascii.ts';

function headerSection(content: Buffer): Buffer {
  const end = content.indexOf('\r\n\r\n');
  return end >= 0 ? content.subarray(0, end) : content;
}

function hasUtf8Header(content: Buffer): boolean {
  const head = headerSection(content);
  return head.some((b) => b > 0x7f) && isUtf8(head);
}

/** Why the message needs SMTPUTF8: 'address', 'header', or null when it does not. */
export function smtpUtf8Need(from: string, to: string[], content: Buffer): 'address' | 'header' | null {
  if (NON_ASCII.test(from) || to.some((r) => NON_ASCII.test(r))) return 'address';
  return hasUtf8Header(content) ? 'header' : null;
}

/** The permanent failure for a peer without SMTPUTF8 (RFC 6531 §3.4, status codes of §3.5). */
export function smtpUtf8Refusal(need: 'address' | 'header', host: string): SmtpReply {
  return need === 'address'
    ? { code: 553, response: `5.6.7 ${host} does not offer SMTPUTF8 and the envelope has non-ASCII addresses; not sent (RFC 6531 §3.4)` }
    : { code: 554, response: `5.6.9 ${host} does not offer SMTPUTF8 and the message has UTF-8 header fields; not downgraded (RFC 6531 §3.4)` };
}
