/**
 * SELECT and `UID FETCH 1:* (FLAGS)` on a 100,000-message mailbox, with the appliance's peak
 * memory (VmHWM of the child process). The messages are inserted straight into the store
 * (sharing one blob), then the appliance is started as its own process.
 *
 *   npx tsx bench/imap-large.ts            (BENCH_LARGE=100000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, spawnAppliance, writeConfig } from '../test/helpers/process.ts';
import { seedBigMailbox } from '../test/helpers/big-mailbox.ts';
import { BenchImap } from './imap-client.ts';

const N = Number(process.env.BENCH_LARGE ?? 100_000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-imap-large-'));
const data = path.join(work, 'data');

function vmHwm(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
  await seedBigMailbox(data, 'big@big.test', 'pw', N);
  const [smtp, pop3, imap] = await freePorts(3);
  const config = writeConfig(work, { smtpPort: smtp, pop3Port: pop3, imapPort: imap, imapInsecureAuth: true, logLevel: 'warn' });
  const app = spawnAppliance(config, data);
  try {
    await app.waitForSmtp(smtp);
    const base = vmHwm(app.pid);
    const c = await BenchImap.connect(imap);
    await c.cmd('LOGIN big@big.test pw');
    let t0 = performance.now();
    await c.cmd('SELECT INBOX');
    const select = performance.now() - t0;
    t0 = performance.now();
    const out = await c.cmd('UID FETCH 1:* (FLAGS)');
    const fetch = performance.now() - t0;
    const lines = out.split('\r\n').filter((l) => l.includes('FETCH (')).length;
    c.close();
    console.log(JSON.stringify({ messages: N, fetched: lines, selectMs: Math.round(select), uidFetchFlagsMs: Math.round(fetch), rssBeforeMiB: Math.round(base), peakRssMiB: Math.round(vmHwm(app.pid)) }));
  } finally {
    await app.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
