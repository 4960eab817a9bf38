/**
 * RFC 8058 §4: receivers act on one-click unsubscribe only when the List-Unsubscribe and
 * List-Unsubscribe-Post fields are covered by a valid DKIM signature. A per-member list copy is
 * signed by the delivery engine (key made with `mailserver dkim keygen`); dkimpy verifies it
 * (the folded per-member List-Unsubscribe survives signing) and the h= tag is inspected.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { runCli } from './helpers/cli.ts';

let app: TestAppliance;
let peer: Peer;
let record: string;
const D = 'example.test';
const data = tempDir();

/** dkimpy (Debian python3-dkim) with the key record handed in instead of looked up in DNS. */
const VERIFY = `
import sys, dkim
record = sys.argv[1].encode()
print('PASS' if dkim.verify(sys.stdin.buffer.read(), dnsfunc=lambda name, timeout=5: record) else 'FAIL')
`;
const verify = (message: Buffer) => new Promise<string>((resolve) => {
  const child = execFile('/usr/bin/python3', ['-c', VERIFY, record], (err, stdout, stderr) => resolve(err ? `ERROR ${stderr}` : stdout.trim()));
  child.stdin!.end(message);
});

t.before(async () => {
  const keygen = await runCli(['dkim', 'keygen', D, '--data', data]);
  if (keygen.code !== 0) throw new Error(keygen.stderr);
  record = [...keygen.stdout.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('');
  const port = await commonPort(['127.0.0.62']);
  peer = await startPeer('127.0.0.62', port);
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.62:${port}` },
    plugins: [{ name: 'mailing-list', options: { lists: [{ name: `signed@${D}`, posters: 'anyone', bounceLimit: 3 }] } }],
  }, data);
  await seedAccounts(app, D, ['alice']);
  await app.store.lists!.replaceMembers(`signed@${D}`, [{ address: 'bob@remote.test', name: '' }]);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

t.test('the per-member copy is DKIM-signed over List-Unsubscribe and verifies', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`signed@${D}`], subject: 'signed post' });
  const copy = await waitFor('the copy', () => peer.messages.find((m) => m.content.toString().includes('signed post')));
  const text = copy.content.toString('latin1');
  t.match(text, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  const sig = /^DKIM-Signature:((?:.*\r\n[ \t].*)*.*)/m.exec(text)?.[1].replace(/\r\n[ \t]+/g, ' ') ?? '';
  const h = (/\bh=([^;]+)/.exec(sig)?.[1] ?? '').replace(/\s+/g, '').toLowerCase().split(':');
  t.match(sig, new RegExp(`d=${D.replace('.', '\\.')};`), 'signed for the list domain');
  t.ok(h.includes('list-unsubscribe'), `h= covers List-Unsubscribe (${h.join(':')})`);
  t.ok(h.includes('list-unsubscribe-post'), 'h= covers List-Unsubscribe-Post (RFC 8058 §4)');
  t.equal(await verify(copy.content), 'PASS', 'dkimpy verifies the copy');
});
