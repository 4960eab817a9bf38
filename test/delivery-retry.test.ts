/**
 * TX-2 retries and bad peers, with the schedule shrunk to seconds: smtp-sink's fault injection
 * (4xx forever, a drop mid-DATA, a stall after the greeting), a peer that is down, a peer that
 * refuses once then takes the mail, STARTTLS that fails its handshake, malformed replies.
 * Each ends in the right retry or bounce.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { startDns, type TestDns } from './helpers/dns.ts';
import { commonPort, smtpError, startPeer, startRawPeer, startSmtpSink, submit, waitFor, type Peer, type SmtpSink } from './helpers/sink.ts';

const HOSTS = { soft: '127.0.0.12', drop: '127.0.0.13', stall: '127.0.0.14', down: '127.0.0.15', once: '127.0.0.16', tls: '127.0.0.17', junk: '127.0.0.18' };
let app: TestAppliance;
let dns: TestDns;
let port: number;
const closers: (() => Promise<unknown>)[] = [];
let once: Peer;
let tlsPeer: { connections: number };
let sinks: Record<string, SmtpSink>;
let refusedOnce = false;

t.before(async () => {
  port = await commonPort(Object.values(HOSTS));
  dns = await startDns({
    mx: Object.keys(HOSTS).map((k) => [`${k}.test`, `mx.${k}.test`, 10] as [string, string, number]),
    hosts: Object.entries(HOSTS).map(([k, ip]) => [`mx.${k}.test`, ip] as [string, string]),
  });
  sinks = {
    soft: await startSmtpSink(HOSTS.soft, port, ['-r', 'RCPT']),
    drop: await startSmtpSink(HOSTS.drop, port, ['-q', '.']),
    stall: await startSmtpSink(HOSTS.stall, port, ['-W', 'EHLO:30']),
  };
  once = await startPeer(HOSTS.once, port, {
    onRcpt: () => (refusedOnce ? null : ((refusedOnce = true), smtpError(451, '4.3.0 try again later'))),
  });
  // advertises STARTTLS, then answers the handshake with garbage; plain text works
  tlsPeer = await startRawPeer(HOSTS.tls, port, '220 tls.test ESMTP\r\n', scriptedPeer(true));
  const junk = await startRawPeer(HOSTS.junk, port, '220 junk.test ESMTP\r\n', (line) => (/^EHLO/i.test(line) ? 'hello there, no code\r\n' : null));
  closers.push(...Object.values(sinks).map((s) => () => s.close()), () => once.close(), () => (tlsPeer as unknown as { close(): Promise<void> }).close(), () => junk.close());
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: {
      dnsServers: [dns.server], port, pollMs: 100,
      retry: { intervalSeconds: 1, refusals: 2, lineErrorSeconds: 3, unreachableSeconds: 2 },
      timeouts: { connectMs: 1000, greetingMs: 1500, socketMs: 1500 },
      logs: { node: 'retry-node' },
    },
  });
  await seedAccounts(app, 'local.test', ['alice']);
});
t.teardown(async () => {
  await app?.close();
  for (const c of closers) await c();
  await dns?.close();
});

/** A minimal SMTP peer: EHLO lists STARTTLS (if asked), STARTTLS gets 220 then junk bytes. */
function scriptedPeer(starttls: boolean) {
  let inData = false;
  return (line: string): string | null | 'close' => {
    if (inData) {
      if (line === '.') {
        inData = false;
        return '250 2.0.0 queued\r\n';
      }
      return null;
    }
    const verb = line.split(' ')[0].toUpperCase();
    if (verb === 'EHLO') return `250-tls.test\r\n${starttls ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`;
    if (verb === 'STARTTLS') return '220 2.0.0 go ahead\r\nthis is not TLS\r\n';
    if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') return '250 2.0.0 ok\r\n';
    if (verb === 'DATA') {
      inData = true;
      return '354 go\r\n';
    }
    if (verb === 'QUIT') return '221 bye\r\n';
    return null;
  };
}

const alice = { user: 'alice@local.test', pw: 'pw-alice', from: 'alice@local.test' };
const bounceFor = (rcpt: string) => waitFor(`a bounce for ${rcpt}`, async () => (await inbox(app, 'alice@local.test')).find((m) => m.content.includes(`Final-Recipient: rfc822; ${rcpt}`)), 20_000);
const queued = async (rcpt: string) => (await app.store.queue.list()).flatMap((e) => e.recipients).find((r) => r.recipient === rcpt);

t.test('4xx forever: retried `refusals` times, then bounced with the last reply', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['u@soft.test'] });
  const bounce = await bounceFor('u@soft.test');
  t.match(bounce.content, /Status: 4\.3\.0\r\n/);
  t.match(bounce.content, /Diagnostic-Code: smtp; 450 4\.3\.0 Error: command failed/);
  t.equal(await queued('u@soft.test'), undefined, 'gone from the queue');
});

t.test('a refusal once, then success: delivered on the retry, no bounce', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['v@once.test'], subject: 'second time lucky' });
  const r = await waitFor('the deferral', () => queued('v@once.test'));
  t.equal(r.status, 'pending');
  await waitFor('delivery on retry', () => once.messages.find((m) => m.content.includes('second time lucky')));
  t.equal((await inbox(app, 'alice@local.test')).filter((m) => m.content.includes('v@once.test')).length, 0, 'no bounce');
});

t.test('a drop mid-DATA is a line error: retried for lineErrorSeconds, then bounced', async (t) => {
  const started = Date.now();
  await submit(app.smtpPort, { ...alice, to: ['w@drop.test'] });
  await waitFor('a retry', async () => ((await queued('w@drop.test'))?.attempts ?? 0) >= 2);
  const bounce = await bounceFor('w@drop.test');
  t.ok(Date.now() - started >= 3000, 'not before the line-error period');
  t.match(bounce.content, /Diagnostic-Code: x-local; mx\.drop\.test\[127\.0\.0\.13\]:\d+: .*(closed|Connection)/i);
});

t.test('a peer that greets and stalls times out and is retried (line error)', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['s@stall.test'] });
  const r = await waitFor('a deferral', async () => {
    const q = await queued('s@stall.test');
    return q && q.attempts >= 1 ? q : null;
  });
  t.match(r.lastError, /timeout|timed out/i);
  await bounceFor('s@stall.test');
});

t.test('no host answers: retried for unreachableSeconds, then bounced', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['d@down.test'] });
  const bounce = await bounceFor('d@down.test');
  t.match(bounce.content, /ECONNREFUSED|connect/i);
});

t.test('STARTTLS that fails its handshake: delivered again in plain text', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['e@tls.test'] });
  await waitFor('delivery in plain text', async () => (await app.store.queue.list()).length === 0 && tlsPeer.connections >= 2);
  t.equal((await inbox(app, 'alice@local.test')).filter((m) => m.content.includes('e@tls.test')).length, 0, 'no bounce');
  const sendLog = await import('node:fs').then((fs) => fs.readFileSync(`${app.dataDir}/logs/retry-node/smtp-send.log`, 'utf8'));
  t.match(sendLog, /mx\.tls\.test\[127\.0\.0\.17\]:\d+\tfrom=<alice@local\.test> to=<e@tls\.test> sent accepted=1 rejected=0: 250 2\.0\.0 queued/, 'sent in plain text (no TLS)');
});

t.test('malformed replies are line errors, never a crash', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['j@junk.test'] });
  const r = await waitFor('a deferral', async () => {
    const q = await queued('j@junk.test');
    return q && q.attempts >= 1 ? q : null;
  });
  t.equal(r.status, 'pending');
  await bounceFor('j@junk.test');
});
