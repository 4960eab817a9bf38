/**
 * Where a message's header section ends, found in bounded work: only the first
 * `maxHeaderSectionSize` bytes are searched (SMTP refuses larger header sections, see
 * core/config/message.ts; mail stored by other ways may still have one). Past the cap the
 * header is cut at a line end and the rest is body, as the IMAP parser does.
 */
import { DEFAULT_MESSAGE_LIMITS } from './config/message.ts';

export interface HeadBounds {
  /** End of the header fields, their last CRLF included. */
  headEnd: number;
  /** Start of the body (after the empty line, or after the cut). */
  bodyStart: number;
  /** No empty line ends the header section within the cap (or at all). */
  cut: boolean;
}

export function headBounds(message: Buffer, max = DEFAULT_MESSAGE_LIMITS.maxHeaderSectionSize): HeadBounds {
  const i = message.subarray(0, max + 4).indexOf('\r\n\r\n');
  if (i >= 0) return { headEnd: i + 2, bodyStart: i + 4, cut: false };
  if (message.length <= max) return { headEnd: message.length, bodyStart: message.length, cut: true };
  const nl = message.indexOf('\r\n', max);
  const at = nl < 0 ? message.length : nl + 2;
  return { headEnd: at, bodyStart: at, cut: true };
}
