/**
 * One message id from end to end, the way an operator follows a message: Python's smtplib sends
 * one message to three recipients of a remote peer (one taken, one refused: a bounce, one
 * deferred); the id the client got in `250 … queued as ID` is the one in the Received: header the
 * peer got, in `mailserver queue list` / `queue show ID`, and in the delivery logs; the bounce
 * carries `ID.XXXXXX`; `mailserver logs --grep ID` finds the accept line, every delivery line and
 * the bounce; `logs --follow` prints a line appended after it started.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { python } from './helpers/python.ts';
import { BIN, runCli } from './helpers/cli.ts';
import { commonPort, smtpError, startPeer, waitFor, type Peer } from './helpers/sink.ts';

const USER = 'carol@ids.test';
const PASS = 'pw-carol';
const NODE = 'node-ids';

let app: ApplianceProcess;
let peer: Peer;
let dir: string;
let dataDir: string;
let smtpPort: number;
process.on('exit', () => app?.child.kill('SIGKILL'));

t.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-ids-'));
  dataDir = path.join(dir, 'data');
  [smtpPort] = await freePorts(1);
  const peerPort = await commonPort(['127.0.0.32']);
  peer = await startPeer('127.0.0.32', peerPort, {
    onRcpt: (a) => (a.startsWith('bad@') ? smtpError(550, '5.1.1 no such user') : a.startsWith('later@') ? smtpError(451, '4.3.0 try later') : null),
  });
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'ids.test',
  node: { name: ${JSON.stringify(NODE)} },
  smtp: { listen: ['127.0.0.1:${smtpPort}'], auth: { allowInsecure: true, failureDelayMs: 0 } },
  pop3: { listen: [] }, imap: { listen: [] }, http: { listen: [] },
  delivery: { dnsServers: ['127.0.0.1:9'], pollMs: 100, gatewayTable: [{ domain: 'remote.test', host: '127.0.0.32', port: ${peerPort} }] },
  plugins: [{ name: 'accept-log', options: {} }],
});
`);
  await seedStore(dataDir, ['ids.test'], { [USER]: PASS });
  app = spawnAppliance(path.join(dir, 'mailserver.config.ts'), dataDir);
  t.teardown(async () => {
    await app.stop();
    await peer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await app.waitForLog('ready');
});

const SEND = `
import smtplib, sys, json
port, user, pw, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo(); s.login(user, pw)
s.mail(user)
for r in sys.argv[5:]: s.rcpt(r)
code, msg = s.data(('Subject: %s\\r\\n\\r\\nfollow me\\r\\n' % subject).encode())
s.quit()
print(json.dumps([code, msg.decode()]))
`;

async function send(subject: string, rcpts: string[]): Promise<string> {
  const r = await python(SEND, [String(smtpPort), USER, PASS, subject, ...rcpts]);
  if (r.code !== 0) throw new Error(r.stderr);
  const [code, reply] = JSON.parse(r.stdout) as [number, string];
  const m = /queued as ([0-9A-F]{12})$/.exec(reply);
  if (code !== 250 || !m) throw new Error(`unexpected reply ${code} ${reply}`);
  return m[1];
}

const logLines = (file: string) => {
  const f = path.join(dataDir, 'logs', NODE, file);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
};

t.test('the id the client was given is the one of the queue, the delivery logs and the bounce', async (t) => {
  const id = await send('ids', ['ok@remote.test', 'bad@remote.test', 'later@remote.test']);
  const delivered = await waitFor('the peer took ok@', async () => peer.messages.find((m) => m.to.includes('ok@remote.test')) ?? null, 30_000);
  t.match(delivered.content.toString('utf8'), new RegExp(`^Received: [^]*?id ${id}\\b`, 'm'), 'the Received: header names the id');
  const lines = await waitFor('three delivery lines and the bounce', async () => {
    const l = logLines('delivery.log');
    return l.filter((x) => x.includes(`\t${id}\t`)).length >= 3 && l.some((x) => x.includes(`\t${id}.`)) ? l : null;
  }, 30_000);
  const mine = lines.filter((l) => l.split('\t')[1] === id);
  t.same(mine.map((l) => [l.split('\t')[3], l.split('\t')[4]]).sort(), [
    ['<bad@remote.test>', 'failed'], ['<later@remote.test>', 'deferred'], ['<ok@remote.test>', 'sent'],
  ], 'delivery.log: each recipient under the client\'s id');
  const bounce = lines.find((l) => l.split('\t')[1].startsWith(`${id}.`))!;
  t.match(bounce.split('\t')[1], new RegExp(`^${id}\\.[0-9A-F]{6}$`), 'the bounce: the id, a dot, 6 hex digits');
  t.match(bounce, new RegExp(`<${USER}>\tsent`), 'delivered to the sender locally');
  t.ok(logLines('delivery-failure.log').some((l) => l.split('\t')[1] === id && l.includes('<bad@remote.test>')), 'delivery-failure.log: the id');
  t.ok(logLines('accept.log').some((l) => l.endsWith(`\t${id}`)), 'accept.log: the id');

  const list = await runCli(['queue', 'list', '--data', dataDir]);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, new RegExp(`^${id}\\b[^]*later@remote\\.test`, 'm'), 'queue list: the deferred recipient under the id');
  const show = await runCli(['queue', 'show', id, '--data', dataDir]);
  t.equal(show.code, 0, `queue show takes the client's id: ${show.stderr}`);
  t.match(show.stdout, /later@remote\.test/);

  const grep = await runCli(['logs', '--grep', id, '--data', dataDir]);
  t.equal(grep.code, 0, grep.stderr);
  const found = grep.stdout.split('\n').filter(Boolean);
  t.ok(found.every((l) => l.startsWith(`${NODE} `) && l.includes(id)), 'every line names its node and carries the id');
  t.same([...new Set(found.map((l) => l.split(/[ \t]/)[1]))].sort(), ['accept', 'delivery', 'delivery-failure', 'smtp-receive', 'smtp-send'], 'from every log');
  t.ok(found.some((l) => l.includes(`${id}.`)), 'and the bounce');
  const times = found.map((l) => l.split('\t')[1]);
  t.same(times, [...times].sort(), 'merged by time');
  const last = await runCli(['logs', '--grep', id, '-n', '1', '--data', dataDir]);
  t.equal(last.stdout.trim().split('\n').length, 1, '-n 1');
  const wrong = await runCli(['logs', '--node', 'nosuch', '--data', dataDir]);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, new RegExp(`no logs of node nosuch .*nodes: ${NODE}`));
});

t.test('logs --follow prints what is logged after it started', async (t) => {
  const child = spawn(process.execPath, [BIN, 'logs', '--follow', '-n', '0', '--grep', 'follow-me@remote.test', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  // -n 0: nothing of the past; the line appears when the message to follow-me is delivered
  await waitFor('the follower says it follows', async () => (err.includes('following the logs') ? true : null), 30_000);
  const id = await send('follow', ['follow-me@remote.test']);
  await waitFor('the delivery line printed', async () => (out.includes(`\t${id}\t`) ? true : null), 30_000);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  t.equal(await exited, 0, 'ends cleanly on SIGINT');
  t.match(out, new RegExp(`^${NODE} delivery\t.*\t${id}\t.*<follow-me@remote\\.test>\tsent`, 'm'));
});
