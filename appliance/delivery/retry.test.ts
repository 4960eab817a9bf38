import t from 'tap';
import { outcomesOf, schedule, statusOf } from './retry.ts';
import { buildBounce, headerBlock } from './bounce.ts';
import type { QueueRecipient } from '../../core/store/ports.ts';

const retry = { intervalSeconds: 120, withoutWaiting: false, refusals: 9, lineErrorSeconds: 8 * 3600, unreachableSeconds: 24 * 3600 };
const rcpt = (over: Partial<QueueRecipient> = {}): QueueRecipient => ({
  recipient: 'a@b.test', domain: 'b.test', status: 'pending', attempts: 0, refusals: 0, nextAttempt: new Date(0), firstFailure: null, lastError: null, ...over,
});
const NOW = 1_000_000_000_000;

t.test('TX-2 schedule with the seed defaults', async (t) => {
  const refused = { kind: 'refused' as const, error: 'x said: 450 4.2.0 busy', permanent: false };
  t.match(schedule(rcpt(), refused, retry, NOW), { result: 'deferred', nextAttempt: new Date(NOW + 120_000), refusal: true });
  t.match(schedule(rcpt({ refusals: 8 }), refused, retry, NOW), { result: 'deferred' }, 'the 9th retry still happens');
  t.match(schedule(rcpt({ refusals: 9 }), refused, retry, NOW), { result: 'failed' }, 'after 9 retries the refusal bounces');
  t.match(schedule(rcpt(), { ...refused, permanent: true }, retry, NOW), { result: 'failed' }, '5xx bounces at once');
  const line = { kind: 'line' as const, error: 'timeout', permanent: false };
  t.match(schedule(rcpt({ firstFailure: new Date(NOW - 8 * 3600_000 + 1) }), line, retry, NOW), { result: 'deferred', refusal: false });
  t.match(schedule(rcpt({ firstFailure: new Date(NOW - 8 * 3600_000) }), line, retry, NOW), { result: 'failed' }, 'line errors: 8 h');
  const down = { kind: 'unreachable' as const, error: 'ECONNREFUSED', permanent: false };
  t.match(schedule(rcpt({ firstFailure: new Date(NOW - 23 * 3600_000) }), down, retry, NOW), { result: 'deferred' });
  t.match(schedule(rcpt({ firstFailure: new Date(NOW - 24 * 3600_000) }), down, retry, NOW), { result: 'failed' }, 'no host: 24 h');
  t.match(schedule(rcpt(), down, { ...retry, withoutWaiting: true }, NOW), { nextAttempt: new Date(NOW) }, '"retry without waiting"');
});

t.test('outcomes of a transaction, per recipient', async (t) => {
  const target = { host: 'mx.b.test', address: '127.0.0.2', port: 25, tls: false };
  const sent = outcomesOf({ kind: 'sent', target, tls: false, accepted: ['a@b.test'], rejected: new Map([['c@b.test', { code: 550, response: '550 5.1.1 unknown' }]]), response: '250 ok' },
    [rcpt(), rcpt({ recipient: 'c@b.test' })], retry, NOW);
  t.match(sent, [{ result: 'sent' }, { result: 'failed', error: 'mx.b.test[127.0.0.2]:25 said: 550 5.1.1 unknown' }]);
  t.match(outcomesOf({ kind: 'line-error', target, error: 'dropped' }, [rcpt()], retry, NOW), [{ result: 'deferred', refusal: false }]);
});

t.test('RFC 3463 status of an error', async (t) => {
  t.equal(statusOf('mx[10.2.5.5]:25 said: 550 5.7.1 no'), '5.7.1', 'not fooled by an IP address');
  t.equal(statusOf('mx[10.2.5.5]:25 said: 421 closing'), '4.0.0');
  t.equal(statusOf('5.1.10 domain accepts no mail'), '5.1.10');
  t.equal(statusOf('connect ECONNREFUSED'), '4.4.1');
});

t.test('a bounce is an RFC 3464 report with the original headers', async (t) => {
  const original = Buffer.from('From: a@x.test\r\nSubject: hi\r\n\r\nsecret body\r\n');
  const b = buildBounce({ reportingMta: 'mail.test', from: 'MAILER-DAEMON@mail.test', to: 'a@x.test', queueId: 'q1', arrival: new Date(NOW), original,
    failed: [{ recipient: 'r@y.test', error: 'mx[1.2.3.4]:25 said: 550 5.1.1 nope', remoteMta: 'mx' }], returnContent: 'headers' }).toString();
  t.match(b, /Content-Type: multipart\/report; report-type=delivery-status; boundary="([^"]+)"/);
  t.match(b, /Reporting-MTA: dns; mail\.test\r\nX-Queue-ID: q1\r\nArrival-Date: .*\r\n\r\nFinal-Recipient: rfc822; r@y\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\r\nDiagnostic-Code: smtp; 550 5\.1\.1 nope/);
  t.match(b, /Content-Type: text\/rfc822-headers\r\n[^]*Subject: hi\r\n/);
  t.notMatch(b, /secret body/, 'headers only by default');
  t.equal(headerBlock(original).toString(), 'From: a@x.test\r\nSubject: hi\r\n');
});

t.test('a bounce of a message that needed SMTPUTF8 is an RFC 6533 report', async (t) => {
  const original = Buffer.from('From: a@x.test\r\nSubject: Grüße\r\n\r\nbody\r\n', 'utf8');
  const b = buildBounce({ reportingMta: 'mail.test', from: 'MAILER-DAEMON@mail.test', to: 'a@x.test', queueId: 'q2', arrival: new Date(NOW), original,
    failed: [{ recipient: 'jörg+x@y.test', error: '5.6.7 no SMTPUTF8' }, { recipient: 'r@y.test', error: '5.6.7 no SMTPUTF8' }], returnContent: 'full' }).toString('utf8');
  t.match(b, /report-type=global-delivery-status;/);
  t.match(b, /Content-Type: message\/global-delivery-status\r\n/);
  t.match(b, /Final-Recipient: utf-8; jörg\\x\{2B\}x@y\.test\r\n/, 'UTF-8 as is, + as \\x{2B} (RFC 6533 §3)');
  t.match(b, /Final-Recipient: rfc822; r@y\.test\r\n/, 'an ASCII recipient stays rfc822');
  t.match(b, /Content-Type: message\/global\r\n[^]*Subject: Grüße\r\n\r\nbody/, 'the whole message as message/global');
  const ascii = buildBounce({ reportingMta: 'mail.test', from: 'MAILER-DAEMON@mail.test', to: 'a@x.test', queueId: 'q3', arrival: new Date(NOW),
    original: Buffer.from('Subject: hi\r\n\r\nbody\r\n'), failed: [{ recipient: 'r@y.test', error: '5.1.1 no' }], returnContent: 'full' }).toString();
  t.match(ascii, /Content-Type: message\/rfc822\r\n/, 'an ASCII message returned as message/rfc822');
});
