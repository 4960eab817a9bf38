/**
 * Errors that carry their protocol reply. Thrown by the appliance and by plugins; the
 * listener turns them into a reply without guessing (DESIGN.md convention 7).
 */

/** RFC 3463 enhanced status codes used by the appliance, by stable name. */
export const ENHANCED = {
  OK: '2.0.0',
  SENDER_OK: '2.1.0',
  RECIPIENT_OK: '2.1.5',
  MESSAGE_ACCEPTED: '2.6.0',
  NO_SUCH_USER: '5.1.1',
  BAD_DESTINATION_SYNTAX: '5.1.3',
  BAD_SENDER_SYNTAX: '5.1.7',
  MAILBOX_FULL: '4.2.2',
  MAILBOX_FULL_PERMANENT: '5.2.2',
  MESSAGE_TOO_BIG: '5.3.4',
  SYSTEM_ERROR: '4.3.0',
  SYSTEM_FULL: '4.3.1',
  TOO_MANY_RECIPIENTS: '4.5.3',
  SYNTAX_ERROR: '5.5.2',
  BAD_ARGUMENTS: '5.5.4',
  BAD_MESSAGE: '5.6.0',
  NON_ASCII_ADDRESS: '5.6.7',
  BAD_SEQUENCE: '5.5.1',
  RELAY_DENIED: '5.7.1',
  POLICY: '5.7.1',
  AUTH_REQUIRED: '5.7.0',
  AUTH_INVALID: '5.7.8',
  AUTH_TEMP: '4.7.0',
  ENCRYPTION_REQUIRED: '5.7.11',
} as const;

export class ReplyError extends Error {
  readonly code: number;
  readonly enhanced: string;
  /** Stable, operator-facing name of the failure (for logs and tests). */
  readonly reason: string;
  constructor(code: number, enhanced: string, message: string, reason = 'refused') {
    super(message);
    this.name = 'ReplyError';
    this.code = code;
    this.enhanced = enhanced;
    this.reason = reason;
  }
  get permanent(): boolean {
    return this.code >= 500;
  }
}

/**
 * A message's bytes are gone: another session expunged it (IMAP EXPUNGE while a POP3 session
 * still lists it) and its last reference was dropped. Not an internal error: the reader answers
 * that the message was deleted.
 */
export class MessageGoneError extends Error {
  constructor(readonly blobId: string) {
    super(`message blob ${blobId} not found (deleted)`);
    this.name = 'MessageGoneError';
  }
}

/** A config that fails validation: every problem with its path and what was expected. */
export class ConfigError extends Error {
  readonly problems: { path: string; message: string }[];
  constructor(file: string, problems: { path: string; message: string }[]) {
    super(`${file}: invalid configuration\n` + problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A user-facing error from the CLI or a policy parser: message only, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
