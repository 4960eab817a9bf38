/**
 * The `message` section of the configuration: limits on the structure of a message, checked
 * while DATA streams in (SMTP refuses with 552 5.3.4 / 554 5.6.0) and respected by every parser
 * of stored mail (IMAP BODYSTRUCTURE and BODY[section], plugins reading headers), so that one
 * message can neither take the memory nor hold the event loop.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MessageConfig = Type.Object({
  /** Bytes of one header field, folded continuation lines included (Postfix header_size_limit 102400). */
  maxHeaderSize: Type.Integer({ minimum: 1024, default: 100 * 1024 }),
  /** Bytes of one header section (the message's, or a MIME part's). */
  maxHeaderSectionSize: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /** Header fields in one header section. */
  maxHeaderCount: Type.Integer({ minimum: 10, default: 1000 }),
  /** MIME parts in a message (Dovecot after CVE-2020-12100 caps parts at 10000). */
  maxMimeParts: Type.Integer({ minimum: 1, default: 10_000 }),
  /** MIME nesting depth (multiparts and message/rfc822; Dovecot after CVE-2020-12100: 100). */
  maxMimeDepth: Type.Integer({ minimum: 1, default: 100 }),
}, { default: {} });
export type MessageConfig = Static<typeof MessageConfig>;

/** The defaults, for parsers that run without a configuration at hand. */
export const DEFAULT_MESSAGE_LIMITS: MessageConfig = {
  maxHeaderSize: 100 * 1024,
  maxHeaderSectionSize: 1024 * 1024,
  maxHeaderCount: 1000,
  maxMimeParts: 10_000,
  maxMimeDepth: 100,
};
