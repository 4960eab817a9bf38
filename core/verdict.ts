/**
 * The answer a hook gives. One union for every protocol; each listener maps it to its
 * own replies in one place (appliance/smtp/replies.ts, appliance/pop3/replies.ts).
 */
export type Verdict =
  /** No opinion: the next hook runs. */
  | { kind: 'next' }
  /** Accept now: the remaining hooks of this chain are skipped. */
  | { kind: 'accept'; message?: string }
  /** Refuse the command; permanent = 5xx, otherwise 4xx. */
  | { kind: 'reject'; permanent: boolean; message: string; code?: number; enhanced?: string }
  /** Refuse and close the session. */
  | { kind: 'disconnect'; permanent: boolean; message: string; code?: number; enhanced?: string };

export const next = (): Verdict => ({ kind: 'next' });
export const accept = (message?: string): Verdict => ({ kind: 'accept', message });
export const reject = (message: string, opts: { code?: number; enhanced?: string } = {}): Verdict => ({
  kind: 'reject', permanent: true, message, ...opts,
});
export const tempfail = (message: string, opts: { code?: number; enhanced?: string } = {}): Verdict => ({
  kind: 'reject', permanent: false, message, ...opts,
});
export const disconnect = (message: string, permanent = false): Verdict => ({ kind: 'disconnect', permanent, message });
