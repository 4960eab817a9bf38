/**
 * Inbound verification on the work threads (plugins/mail-auth/verify-task.ts): the DKIM body
 * hash of a big signed message (relaxed canonicalization, line by line) costs seconds of CPU; done on a thread, a second client's NOOPs on SMTP, IMAP and POP3
 * (a probe in its own process) are answered meanwhile, and the result is the same (dkim=pass).
 * A full work queue gives 451 4.3.2 and a verification past node.threadTimeoutMs 451 4.3.0:
 * never an unverified acceptance (the policy here is enforceDmarc), never a crash.
 * DNS is dnsmasq on loopback (test/helpers/dns.ts): nothing leaves 127.0.0.0/8.
 */
import t from 'tap';
import crypto from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startDns, type TestDns } from '../helpers/dns.ts';
import { startStallProbe } from '../helpers/stall-probe.ts';

/** As in work-stall.test.ts: bounds for a shared, loaded test machine; the stall is > 1 s. */
const WORST_MS = 500;
const LOOP_MS = 500;

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

let dns: TestDns;
let app: TestAppliance;

t.before(async () => {
  dns = await startDns({
    txt: [
      ['remote.test', 'v=spf1 ip4:127.0.0.1 -all'],
      ['_dmarc.remote.test', 'v=DMARC1; p=reject'],
      ['sel._domainkey.remote.test', `v=DKIM1; k=rsa; p=${spki}`],
    ],
  });
  app = await startTestAppliance({
    delivery: { enabled: false },
    pop3: { allowInsecureAuth: true },
    imap: { allowInsecureAuth: true },
    // one thread, nothing waits for it: a second big message while one is verified is refused
    node: { threads: 1, threadQueue: 0, threadTimeoutMs: 60_000 },
    // the big message takes seconds on a loaded machine: the hook runner's limit is not tested here
    hookTimeoutMs: 120_000,
    plugins: [{ name: 'mail-auth', options: { servers: [dns.server], timeoutMs: 500, enforceDmarc: true } }],
  });
  await seedAccounts(app, 'example.test', ['alice', 'probe']);
});
t.teardown(async () => {
  await app?.close();
  await dns?.close();
});

/** A message from remote.test signed with the test key (relaxed/relaxed, as most signers do). */
async function signed(subject: string, body: string): Promise<string> {
  const message = `From: <x@remote.test>\r\nTo: <alice@example.test>\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@remote.test>\r\n\r\n${body}`;
  const r = await dkimSign(message, { canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: 'remote.test', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }] } as never);
  return r.signatures + message;
}

/**
 * 6 MB of 4-byte lines with trailing white space: mailauth's relaxed body hash rebuilds every
 * line in a buffer of its own, 1.1-1.8 s of CPU in one piece on a quiet machine (lines of white
 * space runs without a trailing one cost a third of that, too little to break the bounds).
 */
const bigBody = () => 'a \r\n'.repeat(1_500_000);

/** Sends one message on a new connection; resolves with the reply to its final dot. */
async function send(port: number, message: string): Promise<string> {
  const c = await RawClient.smtp(port);
  try {
    await c.command('MAIL FROM:<x@remote.test>');
    const rcpt = await c.command('RCPT TO:<alice@example.test>');
    if (!rcpt.startsWith('250')) return rcpt;
    await c.command('DATA');
    c.write(message);
    c.write('.\r\n');
    return await c.reply(120_000);
  } finally {
    c.close();
  }
}

const stored = async (subject: string) => (await inbox(app, 'alice@example.test')).find((m) => m.content.includes(`Subject: ${subject}`));

t.test('verifying a 6 MB signed message does not stall the other sessions, and DKIM passes', async (t) => {
  // the thread's start-up (tsx, mailauth's imports) is not what this measures
  t.match(await send(app.smtpPort, await signed('warm', 'hello\r\n')), /^250 /);
  t.match((await stored('warm'))?.content, /dkim=pass header\.i=@remote\.test header\.s=sel/, 'a small message verifies');
  const message = await signed('big signed', bigBody());
  const probe = await startStallProbe({ smtpPort: app.smtpPort, imapPort: app.imapPort, pop3Port: app.pop3Port, user: 'probe@example.test', password: 'pw-probe' });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = Date.now();
  const reply = await send(app.smtpPort, message);
  const took = Date.now() - started;
  loop.disable();
  const r = await probe.stop();
  t.match(reply, /^250 /, 'accepted');
  const big = await stored('big signed');
  t.match(big?.content, /\r\nAuthentication-Results: mail\.test;\r\n\s+dkim=pass header\.i=@remote\.test header\.s=sel/, 'the body hash was computed and matched');
  t.match(big?.content, /dmarc=pass .*header\.from=remote\.test/s, 'DMARC aligned with the DKIM pass');
  t.ok(took > Math.max(LOOP_MS, WORST_MS), `receiving and verifying took ${took} ms (heavy enough to show a stall)`);
  const loopMax = loop.max / 1e6;
  t.ok(loopMax < LOOP_MS, `the event loop's longest delay ${loopMax.toFixed(0)} ms < ${LOOP_MS} ms`);
  t.same(r.errors, [], 'the probe kept its connections');
  for (const proto of ['smtp', 'imap', 'pop3'] as const) {
    t.ok(r[proto].count > 0, `${proto} probe answered`);
    t.ok(r[proto].worst! < WORST_MS, `${proto}: worst NOOP delay ${r[proto].worst!.toFixed(0)} ms < ${WORST_MS} ms (longest: ${JSON.stringify(r[proto].top)})`);
  }
});

t.test('a full work queue gives 451 4.3.2 to the message that finds it full, not a crash', async (t) => {
  const message = await signed('one of three', bigBody());
  // three at once on one thread with no queue: one is verified, the others find no room
  const replies = await Promise.all([send(app.smtpPort, message), send(app.smtpPort, message), send(app.smtpPort, message)]);
  const summary = replies.map((r) => r.slice(0, 40)).join(' | ');
  t.ok(replies.some((r) => /^451 4\.3\.2 /.test(r)), `one found the queue full: ${summary}`);
  t.ok(replies.some((r) => /^250 /.test(r)), 'one was verified and accepted');
  t.ok(replies.every((r) => /^(451 4\.3\.2|250) /.test(r)), 'nothing else');
  t.match(await send(app.smtpPort, await signed('after busy', 'hello\r\n')), /^250 /, 'the next message is accepted');
  t.match((await stored('after busy'))?.content, /dkim=pass/, 'and verified');
});

t.test('a verification past node.threadTimeoutMs gives 451 4.3.0 (not accepted unverified); the next message verifies', async (t) => {
  const short = await startTestAppliance({
    delivery: { enabled: false },
    // 6 MB takes the verifier over a second; 300 ms is past a small message's few
    node: { threads: 1, threadTimeoutMs: 300 },
    hookTimeoutMs: 60_000,
    plugins: [{ name: 'mail-auth', options: { servers: [dns.server], timeoutMs: 500, enforceDmarc: true } }],
  });
  t.teardown(() => short.close());
  await seedAccounts(short, 'example.test', ['alice']);
  t.match(await send(short.smtpPort, await signed('small first', 'hello\r\n')), /^250 /, 'a small message is verified in time');
  const reply = await send(short.smtpPort, await signed('too big to verify in time', bigBody()));
  t.match(reply, /^451 4\.3\.0 /, 'a temporary failure');
  const after = await send(short.smtpPort, await signed('small after', 'hello\r\n'));
  t.match(after, /^250 /, 'the next message is accepted');
  const box = await inbox(short, 'alice@example.test');
  t.notOk(box.some((m) => m.content.includes('too big to verify')), 'the unverified message was not stored');
  t.match(box.find((m) => m.content.includes('Subject: small after'))?.content, /dkim=pass/, 'verified by a new thread');
});
