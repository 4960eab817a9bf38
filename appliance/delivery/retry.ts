/**
 * TX-2: what happens to a recipient after an attempt. A 5xx is final at once; a refusal (4xx)
 * is retried `refusals` times; a line error (time-out, drop, malformed reply) is retried for
 * `lineErrorSeconds` from the first failure, an unreachable destination for `unreachableSeconds`;
 * then the recipient fails and its sender gets a bounce. Pure, so the schedule is a table test.
 */
import type { DeliveryConfig } from '../../core/config/delivery.ts';
import type { QueueRecipient, RecipientOutcome } from '../../core/store/ports.ts';
import type { SmtpReply, TransactionResult } from './smtp-client.ts';

export type FailureKind = 'refused' | 'line' | 'unreachable';

export interface Failure {
  kind: FailureKind;
  /** What the operator and the bounce read. */
  error: string;
  permanent: boolean;
}

export function schedule(rcpt: QueueRecipient, failure: Failure, retry: DeliveryConfig['retry'], now = Date.now()): RecipientOutcome {
  const { recipient } = rcpt;
  if (failure.permanent) return { recipient, result: 'failed', error: failure.error };
  const first = rcpt.firstFailure?.getTime() ?? now;
  const expired =
    failure.kind === 'refused' ? rcpt.refusals + 1 > retry.refusals
      : now - first >= (failure.kind === 'line' ? retry.lineErrorSeconds : retry.unreachableSeconds) * 1000;
  if (expired) return { recipient, result: 'failed', error: failure.error };
  const wait = retry.withoutWaiting ? 0 : retry.intervalSeconds * 1000;
  return { recipient, result: 'deferred', error: failure.error, nextAttempt: new Date(now + wait), refusal: failure.kind === 'refused' };
}

const replyText = (r: SmtpReply) => r.response.replace(/\s*\r?\n\s*/g, ' ');

function fromReply(reply: SmtpReply, where: string): Failure {
  return { kind: 'refused', error: `${where} said: ${replyText(reply)}`, permanent: reply.code >= 500 };
}

/** The outcome of each recipient of a transaction. */
export function outcomesOf(result: TransactionResult, rcpts: QueueRecipient[], retry: DeliveryConfig['retry'], now = Date.now()): RecipientOutcome[] {
  const where = 'target' in result ? `${result.target.host}[${result.target.address}]:${result.target.port}` : '';
  return rcpts.map((r) => {
    if (result.kind === 'sent') {
      if (result.accepted.includes(r.recipient)) return { recipient: r.recipient, result: 'sent', response: `${where}: ${replyText({ code: 250, response: result.response })}` };
      const rej = result.rejected.get(r.recipient) ?? { code: 450, response: 'recipient not accepted' };
      return schedule(r, fromReply(rej, where), retry, now);
    }
    if (result.kind === 'refused') {
      const own = result.rejected?.get(r.recipient);
      return schedule(r, fromReply(own ?? result.reply, where), retry, now);
    }
    if (result.kind === 'line-error') return schedule(r, { kind: 'line', error: result.error, permanent: false }, retry, now);
    return schedule(r, { kind: 'unreachable', error: result.error, permanent: false }, retry, now);
  });
}

/** RFC 3463 status of an error text: the peer's enhanced code, else one from its reply class. */
export function statusOf(error: string): string {
  const said = error.includes(' said: ') ? error.slice(error.indexOf(' said: ') + 7) : error;
  const enhanced = /(?:^|\s)([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/.exec(said);
  if (enhanced) return enhanced[1];
  const code = /^([45])\d\d(?:[\s-]|$)/.exec(said);
  return code ? `${code[1]}.0.0` : '4.4.1';
}
