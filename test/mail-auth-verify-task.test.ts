/**
 * The mail-auth verification task (plugins/mail-auth/verify-task.ts) on a real work thread
 * gives what checkMessage gives inline with the plugin's own kind of resolver: the same
 * headers, SPF and DMARC results, for a DKIM-signed message that passes and one that fails.
 * DNS is dnsmasq on loopback (test/helpers/dns.ts).
 */
import t from 'tap';
import crypto from 'node:crypto';
import { promises as dnsp } from 'node:dns';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { startDns, type TestDns } from './helpers/dns.ts';
import { WorkPool } from '../appliance/runtime/work-pool.ts';
import { silentLogger } from '../core/log.ts';
import { checkMessage } from '../plugins/mail-auth/check.ts';
import { VERIFY_TASK, type VerifyInput } from '../plugins/mail-auth/verify-task.ts';
import type { MailAuthResult } from '../plugins/mail-auth/check.ts';

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

let dns: TestDns;
const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 30_000 }, silentLogger);
t.before(async () => {
  dns = await startDns({ txt: [
    ['remote.test', 'v=spf1 ip4:127.0.0.2 -all'],
    ['_dmarc.remote.test', 'v=DMARC1; p=reject'],
    ['sel._domainkey.remote.test', `v=DKIM1; k=rsa; p=${spki}`],
  ] });
});
t.teardown(async () => {
  await pool.close();
  await dns?.close();
});

async function signed(body: string): Promise<Buffer> {
  const message = `From: <x@remote.test>\r\nTo: <alice@example.test>\r\nSubject: task\r\nMessage-ID: <1@remote.test>\r\n\r\n${body}`;
  const r = await dkimSign(message, { signatureData: [{ signingDomain: 'remote.test', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }] } as never);
  return Buffer.from(r.signatures + message);
}

/** The result of checkMessage here, with a resolver built as the plugin did before the task. */
function inline(message: Buffer, ip: string): Promise<MailAuthResult> {
  const r = new dnsp.Resolver({ timeout: 1000, tries: 2 });
  r.setServers([dns.server]);
  return checkMessage(message, { ip, helo: 'client.test', sender: 'x@remote.test', mta: 'mail.test', resolver: (n, rr) => r.resolve(n, rr as 'TXT') });
}

function onThread(message: Buffer, ip: string): Promise<MailAuthResult> {
  const bytes = new Uint8Array(message);
  const input: VerifyInput = { message: bytes, ip, helo: 'client.test', sender: 'x@remote.test', mta: 'mail.test', dns: { servers: [dns.server], timeoutMs: 1000 } };
  return pool.run<MailAuthResult>(VERIFY_TASK, input, { transfer: [bytes.buffer as ArrayBuffer] });
}

t.test('a signed message from the SPF-listed address: the thread\'s result is the inline one (all pass)', async (t) => {
  const message = await signed('hello\r\n');
  const want = await inline(message, '127.0.0.2');
  const got = await onThread(message, '127.0.0.2');
  t.same(got, want);
  t.match(got.headers.at(-1)!.value, /dkim=pass header\.i=@remote\.test/);
  t.equal(got.spf, 'pass');
  t.equal(got.dmarc && got.dmarc.status.result, 'pass');
});

t.test('a tampered body from an unlisted address: the same failures on the thread as inline', async (t) => {
  const message = Buffer.from((await signed('hello\r\n')).toString().replace('hello', 'HELLO'));
  const want = await inline(message, '127.0.0.3');
  const got = await onThread(message, '127.0.0.3');
  t.same(got, want);
  t.match(got.headers.at(-1)!.value, /dkim=neutral \(body hash did not verify\)/);
  t.equal(got.spf, 'fail');
  t.equal(got.dmarc && got.dmarc.status.result, 'fail');
});
