/**
 * Crash safety of the queue: the appliance (a real child process) delivers 40 queued messages
 * to smtp-sink, which waits a second before answering DATA so that transactions are in flight;
 * it is killed with SIGKILL midway and started again on the same data directory. Every message
 * must arrive, and no more may arrive twice than were in flight at the kill (one per worker).
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { REPO_ROOT, freePorts, spawnAppliance } from './helpers/process.ts';
import { commonPort, startSmtpSink, waitFor } from './helpers/sink.ts';

const MESSAGES = 40;
const WORKERS = 5;

function writeConfig(dir: string, smtpPort: number, pop3Port: number, sinkPort: number): string {
  const file = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'crash.test',
  smtp: { listen: ['127.0.0.1:${smtpPort}'] },
  pop3: { listen: ['127.0.0.1:${pop3Port}'] },
  delivery: { workers: ${WORKERS}, pollMs: 100, gateway: '127.0.0.31:${sinkPort}', retry: { intervalSeconds: 1 }, timeouts: { socketMs: 5000 } },
  log: { level: 'info' },
});
`);
  return file;
}

t.test('SIGKILL in the middle of delivery loses nothing and repeats at most the transactions in flight', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-crash-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const sinkPort = await commonPort(['127.0.0.31']);
  const sink = await startSmtpSink('127.0.0.31', sinkPort, ['-w', '1']);
  t.teardown(() => sink.close());
  const store = openEmbeddedStore(dataDir);
  for (let i = 0; i < MESSAGES; i++) {
    await store.queue.enqueue({ mailFrom: 'sender@crash.test', recipients: [`r${i}@far.example`], content: Buffer.from(`Subject: crash ${i}\r\n\r\nmessage ${i}\r\n`) });
  }
  await store.close();
  const [smtpPort, pop3Port] = await freePorts(2);
  const config = writeConfig(dir, smtpPort, pop3Port, sinkPort);

  const first = spawnAppliance(config, dataDir);
  t.teardown(() => first.kill9());
  await first.waitForLog('ready');
  await waitFor('some deliveries', () => sink.messages().length >= 10, 30_000);
  await first.kill9();
  const beforeRestart = sink.messages().length;
  t.ok(beforeRestart < MESSAGES, `killed midway (${beforeRestart} delivered)`);

  const second = spawnAppliance(config, dataDir);
  t.teardown(() => second.stop());
  await second.waitForLog('ready');
  const check = openEmbeddedStore(dataDir);
  t.teardown(() => check.close());
  await waitFor('the queue to empty', async () => (await check.queue.list()).length === 0, 60_000);
  const counts = new Map<string, number>();
  for (const m of sink.messages()) {
    const subject = /Subject: (crash \d+)/.exec(m.content)?.[1] ?? '?';
    counts.set(subject, (counts.get(subject) ?? 0) + 1);
  }
  const missing = Array.from({ length: MESSAGES }, (_, i) => `crash ${i}`).filter((s) => !counts.has(s));
  t.same(missing, [], 'every message arrived');
  const twice = [...counts.values()].filter((n) => n > 1).length;
  t.ok(twice <= WORKERS, `at most the ${WORKERS} transactions in flight were repeated (repeated: ${twice})`);
  t.ok(second.logs().some((l) => l.msg?.startsWith('delivery: taking back')), 'the restart took the in-flight leases back');
  t.notOk(second.logs().some((l) => (l.level ?? 0) >= 50), 'no errors logged');
});
