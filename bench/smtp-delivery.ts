/**
 * Delivery benchmark: BENCH_MESSAGES (10,000) queued 4 KB messages delivered to Postfix's
 * smtp-sink on loopback, by the appliance and by a throwaway Postfix (bench/postfix-peer.sh with
 * PEER_TRANSPORT pointing at the sink), one after the other in the same run.
 *
 * - Appliance: the messages are put in its queue before it starts; the clock runs from its
 *   `delivery started` log line until smtp-sink has taken them all (`smtp-sink -M N` exits).
 * - Postfix: smtp-source injects them while the Postfix peer puts every message on hold
 *   (check_client_access ... HOLD); the clock runs from `postsuper -H ALL` + `postqueue -f`
 *   until smtp-sink has taken them all.
 * Both run with 20 parallel transactions to the destination (Postfix's default concurrency).
 *
 *   bash bench/smtp-delivery.sh            BENCH_MESSAGES=2000 bash bench/smtp-delivery.sh
 * Env: BENCH_MESSAGES, BENCH_SIZE (4096), BENCH_WORKERS (20), BENCH_ONLY (appliance|postfix), BENCH_KEEP.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { REPO_ROOT, freePorts, spawnAppliance, type ApplianceProcess } from '../test/helpers/process.ts';
import { PEER_SCRIPT, installCleanup, intEnv, runBench } from './run.ts';

const MESSAGES = intEnv('BENCH_MESSAGES', 10_000);
const SIZE = intEnv('BENCH_SIZE', 4096);
const WORKERS = intEnv('BENCH_WORKERS', 20);
const ONLY = process.env.BENCH_ONLY ?? '';
const SINK_HOST = '127.0.0.1';
const RECIPIENT = 'bench@sink.test';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smtp-delivery-'));
fs.chmodSync(work, 0o755);
const children = new Set<ChildProcess>();
let appliance: ApplianceProcess | null = null;
let postfixDir: string | null = null;

const cleanup = installCleanup('smtp-delivery', work, () => ({ children, appliance, postfixDir }));

/** smtp-sink that exits after `n` messages; resolves with the time it exited. */
function startSink(port: number, n: number): { done: Promise<bigint>; ready: Promise<void> } {
  const root = process.getuid?.() === 0;
  const child = spawn('/usr/sbin/smtp-sink', [...(root ? ['-u', 'nobody'] : []), '-M', String(n), `${SINK_HOST}:${port}`, '256'], { stdio: 'ignore' });
  children.add(child);
  const done = new Promise<bigint>((resolve, reject) => {
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(process.hrtime.bigint());
      else reject(new Error(`smtp-sink exited with ${code}`));
    });
  });
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/${SINK_HOST}/${port}`], { stdio: 'ignore' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('smtp-sink did not listen');
  })();
  return { done, ready };
}

function message(i: number): Buffer {
  const head = `From: <sender@x.test>\r\nTo: <${RECIPIENT}>\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@x.test>\r\n\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012345678\r\n';
  return Buffer.from(head + line.repeat(Math.max(0, Math.floor((SIZE - head.length) / line.length))));
}

async function benchAppliance(): Promise<number> {
  const [smtpPort, pop3Port, sinkPort] = await freePorts(3);
  const dataDir = path.join(work, 'appliance-data');
  const store = openEmbeddedStore(dataDir);
  for (let i = 0; i < MESSAGES; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, MESSAGES - i) }, (_, k) =>
      store.queue.enqueue({ mailFrom: 'sender@x.test', recipients: [RECIPIENT], content: message(i + k) })));
  }
  await store.close();
  console.log(`smtp-delivery: ${MESSAGES} messages queued in the appliance's store`);
  const configFile = path.join(work, 'mailserver.config.ts');
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'bench.test',
  smtp: { listen: ['127.0.0.1:${smtpPort}'] },
  pop3: { listen: ['127.0.0.1:${pop3Port}'] },
  delivery: { workers: ${WORKERS}, perDestination: ${WORKERS}, gateway: '${SINK_HOST}:${sinkPort}', logs: { enabled: ${process.env.BENCH_NO_LOGS ? 'false' : 'true'} } },
  log: { level: 'info' },${process.env.BENCH_NODE_WORKERS ? `
  node: { workers: ${Number(process.env.BENCH_NODE_WORKERS)} },` : ''}
});
`);
  const sink = startSink(sinkPort, MESSAGES);
  await sink.ready;
  appliance = spawnAppliance(configFile, dataDir);
  try {
    const started = await appliance.waitForLog('delivery started', 60_000);
    const end = await sink.done;
    const seconds = (Date.now() - Number((process.hrtime.bigint() - end) / 1_000_000n) - (started.time as number)) / 1000;
    const errors = appliance.logs().filter((l) => (l.level ?? 0) >= 50);
    if (errors.length) throw new Error(`appliance logged errors:\n${errors.slice(0, 5).map((e) => JSON.stringify(e)).join('\n')}`);
    return MESSAGES / seconds;
  } finally {
    await appliance.stop(5000);
    appliance = null;
  }
}

async function benchPostfix(): Promise<number> {
  const [port, sinkPort] = await freePorts(2);
  postfixDir = path.join(work, 'postfix');
  const env = { ...process.env, PEER_DOMAINS: 'sink.test', PEER_TRANSPORT: `smtp:[${SINK_HOST}]:${sinkPort}` };
  execFileSync('bash', [PEER_SCRIPT, 'start', postfixDir, String(port)], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000, env });
  const etc = path.join(postfixDir, 'etc');
  execFileSync('postconf', ['-c', etc, '-e', 'smtpd_recipient_restrictions = check_client_access inline:{ 127.0.0.1=HOLD }, permit_mynetworks, reject',
    `default_destination_concurrency_limit = ${WORKERS}`, 'smtp_tls_security_level = none']);
  execFileSync('postfix', ['-c', etc, 'reload'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const source = ['/usr/sbin/smtp-source', '/usr/bin/smtp-source'].find((f) => fs.existsSync(f))!;
  execFileSync(source, ['-s', '20', '-m', String(MESSAGES), '-l', String(SIZE), '-f', 'sender@x.test', '-t', RECIPIENT, `127.0.0.1:${port}`], { timeout: 600_000 });
  const hold = path.join(postfixDir, 'queue', 'hold');
  const count = () => (fs.existsSync(hold) ? fs.readdirSync(hold, { recursive: true }).filter((f) => fs.statSync(path.join(hold, String(f))).isFile()).length : 0);
  for (let i = 0; i < 600 && count() < MESSAGES; i++) await new Promise((r) => setTimeout(r, 100));
  if (count() < MESSAGES) throw new Error(`postfix: only ${count()} messages on hold`);
  console.log(`smtp-delivery: ${MESSAGES} messages on hold in Postfix`);
  const sink = startSink(sinkPort, MESSAGES);
  await sink.ready;
  const start = process.hrtime.bigint();
  execFileSync('postsuper', ['-c', etc, '-H', 'ALL'], { stdio: 'ignore' });
  execFileSync('postqueue', ['-c', etc, '-f'], { stdio: 'ignore' });
  const end = await sink.done;
  try {
    return MESSAGES / (Number(end - start) / 1e9);
  } finally {
    execFileSync('bash', [PEER_SCRIPT, 'stop', postfixDir], { stdio: 'ignore', timeout: 30_000 });
    postfixDir = null;
  }
}

async function main(): Promise<void> {
  const shape = `${MESSAGES} msgs of ${SIZE} bytes, ${WORKERS} parallel transactions`;
  console.log(`smtp-delivery: ${shape}; work directory ${work}`);
  const app = ONLY === 'postfix' ? null : await benchAppliance();
  if (app) console.log(`smtp-delivery: appliance ${app.toFixed(1)} msg/s`);
  const pf = ONLY === 'appliance' ? null : await benchPostfix();
  if (pf) console.log(`smtp-delivery: postfix ${pf.toFixed(1)} msg/s`);
  const parts = [app && `appliance ${app.toFixed(1)} msg/s`, pf && `postfix ${pf.toFixed(1)} msg/s`, app && pf && `ratio ${(app / pf).toFixed(2)}x`].filter(Boolean);
  console.log(`smtp-delivery: ${parts.join(', ')} (${shape})`);
}

runBench('smtp-delivery', main, cleanup);
