/**
 * A config check has no effect outside the check. `mailserver config check DIR` runs, as an
 * operator runs it on a cluster node, inside a network namespace whose interface carries the
 * virtual IP, over a config that loads every appliance plugin with options that point outside
 * the check (an absolute accept log, filter and virus-log folders, a virus notification over
 * SMTP, the ipwatcher's VIP) and policy tests that drive them (a virus, a filter match, a list
 * post, an auto-reply with a forward). Afterwards the namespace has the same addresses and
 * listening sockets, the outside folder is empty, the notification's SMTP server was never
 * called, and the config folder holds only the files it had.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/appliance.ts';
import { createNetLab } from './helpers/netns.ts';
import { EICAR, startClamd } from './helpers/clamd.ts';
import { REPO_ROOT } from './helpers/process.ts';
import { PYTHON, sleep } from './helpers/cluster.ts';

const BIN = path.join(REPO_ROOT, 'bin', 'mailserver.js');
const VIP = '10.77.0.100';
const NOTIFY_PORT = 2599;

/** Counts connections to 127.0.0.1:NOTIFY_PORT (the virus notification's SMTP server). */
const COUNTER = String.raw`
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16)
print('LISTENING', flush=True)
while True:
    c, _ = s.accept(); print('CONNECTION', flush=True)
    c.sendall(b'220 counter\r\n'); c.close()
`;

function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort();
}

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root for a network namespace');
} else {
  t.test('a config check of every plugin changes nothing on the host', async (t) => {
    const clamd = await startClamd();
    t.teardown(() => clamd.close());
    const lab = await createNetLab(1);
    t.teardown(() => lab.destroy());
    const node = lab.nodes[0]!;
    // the node holds the VIP, as a running holder would
    await lab.exec(node, ['ip', 'addr', 'add', `${VIP}/24`, 'dev', node.iface]);
    const counter = lab.spawn(node, [PYTHON, '-c', COUNTER, String(NOTIFY_PORT)]);
    t.teardown(() => void counter.kill());
    let counted = '';
    counter.stdout!.setEncoding('utf8').on('data', (d: string) => (counted += d));
    for (let i = 0; i < 100 && !counted.includes('LISTENING'); i++) await sleep(50);
    t.match(counted, /LISTENING/, 'the notification counter listens');

    const dir = tempDir('check-effects-');
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const outside = path.join(dir, 'outside');
    const config = path.join(dir, 'config');
    fs.mkdirSync(outside);
    fs.mkdirSync(config);
    const folder = (name: string) => JSON.stringify(path.join(outside, name));
    fs.writeFileSync(path.join(config, 'mailserver.config.ts'), `export default {
  hostname: 'check.test',
  plugins: [
    { name: 'accept-log', options: { file: ${folder('accept.log')} } },
    { name: 'relay-effect', options: { rules: [{ match: '198.51.100.0/24', action: 'default' }, { match: '*.*.*.*', action: 'norelay' }] } },
    { name: 'dnsbl', options: { zones: ['bl.check.test'], servers: ['127.0.0.1:1'], timeoutMs: 100 } },
    { name: 'mail-auth', options: { servers: ['127.0.0.1:1'], timeoutMs: 100 } },
    { name: 'antivirus', options: {
      clamd: { socket: ${JSON.stringify(clamd.socket)} }, viruslog: true, viruslogFolder: ${folder('viruslog')},
      notify: { enabled: true, smtp: { host: '127.0.0.1', port: ${NOTIFY_PORT} }, recipients: ['admin@check.test'], target: 'both' },
    } },
    { name: 'mailfilter', options: { folderRoot: ${folder('filter')}, rules: [
      { name: 'words', body: ['forbidden'], level: { action: 3, keepCopy: true, banIp: true }, folder: ${folder('filter-copies')}, tag: '[X]' },
    ] } },
    { name: 'journal', options: { to: ['journal@check.test'] } },
    { name: 'mailing-list', options: { lists: [{ name: 'team', posters: 'anyone' }] } },
    { name: 'autoreply', options: { accounts: { 'away@check.test': { reply: { text: 'Away.' }, forward: { to: ['elsewhere@remote.test'] } } } } },
    { name: 'ipwatcher', options: { vip: '${VIP}/24', interface: ${JSON.stringify(node.iface)}, leadership: 'peers', intervalMs: 100, timeoutMs: 100 } },
  ],
};
`);
    fs.writeFileSync(path.join(config, 'mailserver.tests.ts'), `export default {
  domains: ['check.test'],
  accounts: ['a@check.test', 'away@check.test', 'journal@check.test', 'admin@check.test'],
  cases: [
    { name: 'a virus is refused', rcptTo: 'a@check.test', message: ${JSON.stringify(`Subject: v\n\n${EICAR}\n`)}, expect: 'refused' },
    { name: 'a filtered word is tagged', rcptTo: 'a@check.test', message: 'Subject: hi\\n\\nforbidden words\\n', expect: { tagged: '[X]' } },
    { name: 'a list post', from: '198.51.100.7', mailFrom: 'x@remote.test', rcptTo: 'team@check.test', message: 'Subject: post\\n\\nhello\\n', expect: 'accepted' },
    { name: 'an auto-reply and a forward', from: '198.51.100.7', mailFrom: 'x@remote.test', rcptTo: 'away@check.test', message: 'Subject: hello\\nFrom: x@remote.test\\n\\nhi\\n', expect: 'accepted' },
    { name: 'no open relay', from: '203.0.113.9', rcptTo: 'b@remote.test', expect: 'refused' },
  ],
};
`);
    const before = {
      addresses: await lab.addresses(node),
      listening: await lab.exec(node, ['ss', '-Htlnu']),
      config: tree(config),
    };
    t.ok(before.addresses.includes(VIP), 'the VIP is on the interface before the check');

    const out = await lab.exec(node, [process.execPath, BIN, 'config', 'check', config], 120_000);
    t.match(out, /5 of 5 policy tests passed/, `the check ran every case:\n${out}`);
    await sleep(500); // anything the check left running would act in its intervals (100 ms)

    t.same(await lab.addresses(node), before.addresses, 'the interface has the same addresses (the VIP is still there)');
    t.equal(await lab.exec(node, ['ss', '-Htlnu']), before.listening, 'the same listening sockets');
    t.same(tree(outside), [], 'nothing was written to the folders the options point at');
    t.same(tree(config), before.config, 'the config folder holds the files it had');
    t.notMatch(counted, /CONNECTION/, 'no virus notification was sent');
  });
}
