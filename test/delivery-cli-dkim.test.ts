/**
 * The operator's side of delivery: `mailserver dkim keygen` makes a key whose TXT record,
 * served by dnsmasq, verifies the signature of a delivered message with an independent
 * verifier (Debian's python3-dkim, dkimpy); `mailserver queue list|show|retry|flush|delete`
 * on a message that cannot leave, while the appliance runs.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { runCli } from './helpers/cli.ts';
import { startDns, type TestDns } from './helpers/dns.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';

let app: TestAppliance;
let dns: TestDns;
let peer: Peer;
let dataDir: string;
let record: string;

/** dkimpy with a dnsfunc that asks our dnsmasq (the CLI dkimverify would ask the system resolver). */
const VERIFY = `
import sys, dkim, dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = int(sys.argv[1])
def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    return b''.join(b''.join(s for s in rr.strings) for rr in r.resolve(name.rstrip('.'), 'TXT'))
msg = sys.stdin.buffer.read()
print('PASS' if dkim.verify(msg, dnsfunc=dnsfunc) else 'FAIL')
`;

function verify(message: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/python3', ['-c', VERIFY, String(dns.port)], (err, stdout, stderr) => resolve(err ? `ERROR ${stderr}` : stdout.trim()));
    child.stdin!.end(message);
  });
}

t.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-cli-'));
  const keygen = await runCli(['dkim', 'keygen', 'sign.test', '--data', dataDir]);
  t.equal(keygen.code, 0, keygen.stderr);
  const m = /^mail\._domainkey\.sign\.test\. IN TXT \( (.*) \)$/m.exec(keygen.stdout);
  if (!m) throw new Error(`no TXT record in ${keygen.stdout}`);
  record = [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('');
  const port = await commonPort(['127.0.0.41']);
  dns = await startDns({
    mx: [['dest.test', 'mx.dest.test', 10], ['stuck.test', 'mx.stuck.test', 10]],
    hosts: [['mx.dest.test', '127.0.0.41'], ['mx.stuck.test', '127.0.0.42']],
    txt: [['mail._domainkey.sign.test', record]],
  });
  peer = await startPeer('127.0.0.41', port);
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: { dnsServers: [dns.server], port, pollMs: 100, retry: { intervalSeconds: 3600 }, timeouts: { connectMs: 1000 } },
  }, dataDir);
  await seedAccounts(app, 'sign.test', ['alice']);
});
t.teardown(async () => {
  await app?.close();
  await Promise.all([peer?.close(), dns?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

t.test('keygen prints a DKIM1 record; dkim show prints the same', async (t) => {
  t.match(record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
  const show = await runCli(['dkim', 'show', 'sign.test', '--data', dataDir]);
  t.equal(show.code, 0);
  t.equal([...show.stdout.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join(''), record);
  const again = await runCli(['dkim', 'keygen', 'sign.test', '--data', dataDir]);
  t.equal(again.code, 1, 'an existing key is not replaced without --force');
});

t.test('mail from a domain with a key leaves signed, and dkimpy verifies it through DNS', async (t) => {
  await submit(app.smtpPort, { user: 'alice@sign.test', pw: 'pw-alice', from: 'alice@sign.test', to: ['bob@dest.test'], subject: 'signed' });
  const m = await waitFor('delivery', () => peer.messages.find((x) => x.content.includes('Subject: signed')));
  t.match(m.content.toString(), /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=sign\.test;/);
  t.match(m.content.toString(), /s=mail/);
  t.equal(await verify(m.content), 'PASS', 'dkimpy verifies the signature');
  const tampered = Buffer.from(m.content.toString().replace('Hello there.', 'Hello th3re.'));
  t.equal(await verify(tampered), 'FAIL', 'and refuses a changed body');
});

t.test('queue list, show, retry, flush, delete while the appliance runs', async (t) => {
  await submit(app.smtpPort, { user: 'alice@sign.test', pw: 'pw-alice', from: 'alice@sign.test', to: ['carol@stuck.test'], subject: 'stuck' });
  const entry = await waitFor('a deferral', async () => (await app.store.queue.list()).find((e) => e.recipients[0].attempts >= 1));
  const list = await runCli(['queue', 'list', '--data', dataDir]);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, new RegExp(`${entry.id}\\s+\\S+\\s+\\d+\\s+<alice@sign\\.test>\\s+carol@stuck\\.test\\s+deferred\\s+1\\s+in \\S+\\s+mx\\.stuck\\.test`));
  t.match(list.stdout, /1 message, 1 recipient/);
  const show = await runCli(['queue', 'show', entry.id, '--data', dataDir]);
  t.match(show.stdout, /from: <alice@sign\.test>\nsize: \d+\nto: <carol@stuck\.test> pending, 1 attempt\(s\), next .*ECONNREFUSED/);
  t.match(show.stdout, /\nSubject: stuck\n/);
  t.notMatch(show.stdout, /Hello there/, 'only the header without --content');
  t.match((await runCli(['queue', 'show', entry.id, '--content', '--data', dataDir])).stdout, /Hello there/);
  const retry = await runCli(['queue', 'retry', entry.id, '--data', dataDir]);
  t.match(retry.stdout, /1 recipient of \w+ due now/);
  await waitFor('the second attempt', async () => ((await app.store.queue.get(entry.id))?.recipients[0].attempts ?? 0) >= 2);
  t.match((await runCli(['queue', 'flush', '--data', dataDir])).stdout, /^1 recipient due now/);
  const del = await runCli(['queue', 'delete', entry.id, '--data', dataDir]);
  t.equal(del.code, 0);
  t.equal((await runCli(['queue', 'list', '--data', dataDir])).stdout.trim(), 'the queue is empty');
  const gone = await runCli(['queue', 'retry', entry.id, '--data', dataDir]);
  t.equal(gone.code, 1);
  t.match(gone.stderr, /no queue entry/);
});
