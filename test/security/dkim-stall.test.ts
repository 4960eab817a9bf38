/**
 * DKIM signing on the work threads (appliance/delivery/dkim-task.ts): the relaxed body hash of
 * a big outgoing message (every run of white space on every line) costs seconds of CPU; done on
 * a thread, the lead's other sessions (a probe's NOOPs on SMTP, IMAP and POP3, in its own
 * process) are answered meanwhile, and the signature made there verifies (dkimpy).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from '../helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from '../helpers/sink.ts';
import { runCli } from '../helpers/cli.ts';
import { startStallProbe } from '../helpers/stall-probe.ts';

/** As in work-stall.test.ts: bounds for a shared, loaded test machine; the stall is > 1 s. */
const WORST_MS = 500;
const LOOP_MS = 500;
const D = 'sign.test';

let app: TestAppliance;
let peer: Peer;
let record: string;
const data = tempDir();

/** dkimpy (Debian python3-dkim) with the key record handed in instead of looked up in DNS. */
const VERIFY = `
import sys, dkim
record = sys.argv[1].encode()
print('PASS' if dkim.verify(sys.stdin.buffer.read(), dnsfunc=lambda name, timeout=5: record) else 'FAIL')
`;
const verify = (message: Buffer) => new Promise<string>((resolve) => {
  const child = execFile('/usr/bin/python3', ['-c', VERIFY, record], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => resolve(err ? `ERROR ${stderr}` : stdout.trim()));
  child.stdin!.end(message);
});

t.before(async () => {
  const keygen = await runCli(['dkim', 'keygen', D, '--data', data]);
  if (keygen.code !== 0) throw new Error(keygen.stderr);
  record = [...keygen.stdout.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('');
  const port = await commonPort(['127.0.0.64']);
  peer = await startPeer('127.0.0.64', port);
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    pop3: { allowInsecureAuth: true },
    imap: { allowInsecureAuth: true },
    node: { threads: 1 },
    delivery: { pollMs: 100, gateway: `127.0.0.64:${port}` },
  }, data);
  await seedAccounts(app, D, ['alice', 'probe']);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

t.test('signing a 6 MB message does not stall the other sessions, and its signature verifies', async (t) => {
  // the thread's start-up is not what this measures
  await submit(app.smtpPort, { user: `alice@${D}`, pw: 'pw-alice', from: `alice@${D}`, to: ['bob@remote.test'], subject: 'warm' });
  await waitFor('the first delivery', () => peer.messages.find((m) => m.content.toString().includes('Subject: warm')));
  const body = `From: <alice@${D}>\r\nTo: <bob@remote.test>\r\nSubject: big signed\r\nMessage-ID: <big@${D}>\r\n\r\n` + 'a  b \t c   d    e\r\n'.repeat(300_000);
  const probe = await startStallProbe({ smtpPort: app.smtpPort, imapPort: app.imapPort, pop3Port: app.pop3Port, user: `probe@${D}`, password: 'pw-probe' });
  // the delivery starts as the message is queued, before the submitting client has quit
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await submit(app.smtpPort, { user: `alice@${D}`, pw: 'pw-alice', from: `alice@${D}`, to: ['bob@remote.test'], body });
  const copy = await waitFor('the big delivery', () => peer.messages.find((m) => m.content.toString('latin1', 0, 4096).includes('Subject: big signed')), 120_000);
  loop.disable();
  const r = await probe.stop();
  const text = copy.content.toString('latin1');
  t.match(text, /^DKIM-Signature: [^]*d=sign\.test;/, 'signed for the sender domain');
  t.equal(await verify(copy.content), 'PASS', 'dkimpy verifies the signature made on the thread');
  const loopMax = loop.max / 1e6;
  t.ok(loopMax < LOOP_MS, `the event loop's longest delay while it was received, signed and sent: ${loopMax.toFixed(0)} ms < ${LOOP_MS} ms`);
  t.same(r.errors, [], 'the probe kept its connections');
  for (const proto of ['smtp', 'imap', 'pop3'] as const) {
    t.ok(r[proto].count > 0, `${proto} probe answered`);
    t.ok(r[proto].worst! < WORST_MS, `${proto}: worst NOOP delay ${r[proto].worst!.toFixed(0)} ms < ${WORST_MS} ms (longest: ${JSON.stringify(r[proto].top)})`);
  }
});

t.test('signing past node.threadTimeoutMs defers the delivery (not sent unsigned); a small message still leaves signed', async (t) => {
  const dir = tempDir();
  const keygen = await runCli(['dkim', 'keygen', D, '--data', dir]);
  t.equal(keygen.code, 0, keygen.stderr);
  const port = await commonPort(['127.0.0.65']);
  const sink = await startPeer('127.0.0.65', port);
  const short = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    // 6 MB takes the signer over a second; 300 ms is past a small message's few
    node: { threads: 1, threadTimeoutMs: 300 },
    delivery: { pollMs: 100, gateway: `127.0.0.65:${port}`, retry: { intervalSeconds: 3600 } },
  }, dir);
  t.teardown(async () => {
    await short.close();
    await sink.close();
  });
  await seedAccounts(short, D, ['alice']);
  await submit(short.smtpPort, { user: `alice@${D}`, pw: 'pw-alice', from: `alice@${D}`, to: ['bob@remote.test'], subject: 'small first' });
  const small = await waitFor('the small delivery', () => sink.messages.find((m) => m.content.toString().includes('Subject: small first')), 60_000);
  t.match(small.content.toString('latin1'), /^DKIM-Signature: /, 'a small message is signed in time');
  const body = `From: <alice@${D}>\r\nTo: <carol@remote.test>\r\nSubject: too big to sign in time\r\n\r\n` + 'a  b \t c   d    e\r\n'.repeat(600_000);
  await submit(short.smtpPort, { user: `alice@${D}`, pw: 'pw-alice', from: `alice@${D}`, to: ['carol@remote.test'], body });
  const deferred = await waitFor('the deferral', async () => (await short.store.queue.list()).flatMap((e) => e.recipients).find((r) => r.recipient === 'carol@remote.test' && r.attempts >= 1), 60_000);
  t.match(deferred.lastError, /4\.3\.0 DKIM signing: .*node\.threadTimeoutMs/, 'deferred as a local problem');
  t.notOk(sink.messages.some((m) => m.content.toString('latin1', 0, 4096).includes('too big to sign')), 'not sent unsigned');
  await submit(short.smtpPort, { user: `alice@${D}`, pw: 'pw-alice', from: `alice@${D}`, to: ['bob@remote.test'], subject: 'small after' });
  const after = await waitFor('the next delivery', () => sink.messages.find((m) => m.content.toString().includes('Subject: small after')), 60_000);
  t.match(after.content.toString('latin1'), /^DKIM-Signature: /, 'the next message is signed by a new thread');
});
