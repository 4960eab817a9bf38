/**
 * Stall benchmark: a probe in its own process sends NOOP every 20 ms on SMTP, IMAP
 * and POP3 while the attacks run against one appliance process, one after the other:
 *   1. a 45 MB message whose header is folded into ~12 M continuation lines, to an account with
 *      auto-reply and forward;
 *   2. a 7 MB message with 1,000,000 empty MIME parts over SMTP, and the same APPENDed over IMAP
 *      and then FETCHed (BODYSTRUCTURE);
 *   3. BENCH_STALL_PARALLEL (40) parallel messages of BENCH_STALL_SIZE (45 MB) from one IP;
 *   4. BENCH_STALL_IDLE (300) idle connections and BENCH_STALL_DRIP (20) clients sending one
 *      byte a second, for the whole run.
 * Prints the worst and p99 NOOP delay per protocol and the appliance's peak RSS above idle
 * (VmRSS sampled every 50 ms, and VmHWM). Targets: p99 < 100 ms, worst < 500 ms, RSS < 400 MB.
 *
 *   npm run bench:stall
 *   BENCH_STALL_ONLY=2b BENCH_STALL_IDLE=0 npm run bench:stall   (one attack; APPLIANCE_NODE_OPTIONS=--cpu-prof to profile)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance, type ApplianceProcess } from '../test/helpers/process.ts';
import { startStallProbe, type ProbeResult } from '../test/helpers/stall-probe.ts';
import { headerBomb, mimeBomb } from '../test/helpers/bomb-messages.ts';
import { installCleanup, intEnv, runBench } from './run.ts';

const PARALLEL = intEnv('BENCH_STALL_PARALLEL', 40, 0);
const SIZE = intEnv('BENCH_STALL_SIZE', 45 * 1024 * 1024);
const IDLE = intEnv('BENCH_STALL_IDLE', 300, 0);
const DRIP = intEnv('BENCH_STALL_DRIP', 20, 0);
/** BENCH_STALL_ONLY=1,2b: run only these attacks (1, 2a, 2b, 3). */
const ONLY = (process.env.BENCH_STALL_ONLY ?? '').split(',').filter(Boolean);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stall-'));
let appliance: ApplianceProcess | null = null;
const sockets = new Set<net.Socket>();
const cleanup = installCleanup('stall', work, () => {
  for (const s of sockets) s.destroy();
  return { appliance, postfixDir: null };
});

function kib(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
}
function status(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
}

/** A minimal SMTP client: one message, the final reply. */
function sendSmtp(port: number, to: string, message: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.add(s);
    let buf = '';
    let step = 0;
    const steps = ['EHLO bench.test\r\n', 'MAIL FROM:<attacker@remote.test>\r\n', `RCPT TO:<${to}>\r\n`, 'DATA\r\n'];
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buf);
      if (!m) return;
      const reply = buf.trim().split('\r\n').pop()!;
      buf = '';
      if (step < steps.length) s.write(steps[step++]);
      else if (step === steps.length) {
        step++;
        s.write(message);
        s.write('.\r\n');
      } else {
        s.end('QUIT\r\n');
        sockets.delete(s);
        resolve(reply);
      }
    });
    s.on('error', reject);
  });
}

/** IMAP: LOGIN, APPEND `message`, SELECT, FETCH BODYSTRUCTURE; returns the FETCH answer's size and time. */
function imapAppendFetch(port: number, user: string, password: string, message: Buffer): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.add(s);
    let buf = '';
    let started = 0;
    const script: [string, (string | Buffer)[]][] = [
      ['a', [`a LOGIN ${user} ${password}\r\n`]],
      ['b', [`b APPEND INBOX {${message.length}+}\r\n`, message, '\r\n']],
      ['c', ['c SELECT INBOX\r\n']],
      ['d', ['d FETCH * (BODYSTRUCTURE)\r\n']],
    ];
    let i = -1;
    const next = () => {
      i++;
      if (i === script.length) {
        s.end('e LOGOUT\r\n');
        sockets.delete(s);
        return;
      }
      if (script[i][0] === 'd') started = Date.now();
      for (const part of script[i][1]) s.write(part);
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      if (i < 0 && buf.includes('\r\n')) {
        buf = '';
        return next();
      }
      const tag = script[i]?.[0];
      const m = tag ? new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).exec(buf) : null;
      if (!m) return;
      if (m[2] !== 'OK') return reject(new Error(`IMAP ${tag}: ${m[0].trim()}`));
      if (tag === 'd') resolve({ bytes: buf.length, ms: Date.now() - started });
      buf = '';
      next();
    });
    s.on('error', reject);
  });
}

function fmt(r: ProbeResult): string {
  return (['smtp', 'imap', 'pop3'] as const).map((p) => `${p}: worst ${r[p].worst?.toFixed(0)} ms, p99 ${r[p].p99?.toFixed(0)} ms (${r[p].count} NOOPs; longest at ${r[p].top.map(([at, ms]) => `+${at}:${ms}`).join(' ')})`).join('; ');
}

async function main() {
  const [smtpPort, pop3Port, imapPort] = await freePorts(3);
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  await seedStore(dataDir, ['example.test'], { 'victim@example.test': 'pw-victim', 'probe@example.test': 'pw-probe', 'reader@example.test': 'pw-reader', 'bulk@example.test': 'pw-bulk' });
  const configFile = path.join(work, 'mailserver.config.ts');
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'bench.test',
  smtp: { listen: ['127.0.0.1:${smtpPort}'], maxRecipients: 0 },
  pop3: { listen: ['127.0.0.1:${pop3Port}'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:${imapPort}'], allowInsecureAuth: true, maxMessageSize: 64 * 1024 * 1024 },
  http: { listen: ['127.0.0.1:0'] },
  delivery: { enabled: false },
  log: { level: 'warn' },
  plugins: [{ name: 'autoreply', options: { srs: { mode: 'off' }, accounts: {
    'victim@example.test': { forward: { to: ['elsewhere@remote.test'] }, reply: { text: 'I am away' } },
  } } }],
});
`);
  appliance = spawnAppliance(configFile, dataDir);
  await appliance.waitForSmtp(smtpPort, 60_000);
  const pid = appliance.pid;
  await new Promise((r) => setTimeout(r, 1000));
  const idleRss = kib(status(pid), 'VmRSS');
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, kib(status(pid), 'VmRSS'));
    } catch {
      // exited
    }
  }, 50);
  console.log(`stall: appliance pid ${pid}, idle RSS ${(idleRss / 1024).toFixed(0)} MB`);

  // 4. idle connections and slow drips, for the whole run, from an attacker's address of their
  // own (127.0.0.2): the per-IP limits refuse most of them, which is the point; the probe is a
  // user at 127.0.0.3, the other attacks come from 127.0.0.1
  const IDLER = '127.0.0.2';
  for (let i = 0; i < IDLE; i++) {
    const s = net.connect({ port: [smtpPort, imapPort, pop3Port][i % 3], host: '127.0.0.1', localAddress: IDLER });
    s.on('error', () => sockets.delete(s));
    sockets.add(s);
  }
  const drips: NodeJS.Timeout[] = [];
  for (let i = 0; i < DRIP; i++) {
    const s = net.connect({ port: [smtpPort, imapPort][i % 2], host: '127.0.0.1', localAddress: IDLER });
    s.on('error', () => sockets.delete(s));
    sockets.add(s);
    const text = i % 2 ? 'a LOGIN someone password-dripping-slowly\r\n' : 'EHLO drip.test\r\nMAIL FROM:<drip@remote.test>\r\n';
    let k = 0;
    drips.push(setInterval(() => s.writable && s.write(text[k++ % text.length]), 1000));
  }

  const phases: string[] = [];
  const all: ProbeResult[] = [];
  const time = async (name: string, f: () => Promise<string>) => {
    if (ONLY.length && !ONLY.includes(name.split('.')[0])) return;
    const probe = await startStallProbe({ smtpPort, imapPort, pop3Port, user: 'probe@example.test', password: 'pw-probe' });
    const t0 = Date.now();
    const what = await f();
    const seconds = (Date.now() - t0) / 1000;
    // a little longer than the attack: what it left to do afterwards is measured too
    await new Promise((r) => setTimeout(r, 1000));
    const r = await probe.stop();
    all.push(r);
    phases.push(`${name}: ${what} (${seconds.toFixed(1)} s)\n      ${fmt(r)}${r.errors.length ? `\n      probe errors: ${r.errors.join('; ')}` : ''}`);
    console.log(`stall: ${phases[phases.length - 1]}`);
  };
  await time('1. 45 MB header bomb to an auto-reply/forward account', () => sendSmtp(smtpPort, 'victim@example.test', headerBomb(45 * 1024 * 1024)));
  const parts = mimeBomb(1_000_000, 'reader@example.test');
  await time('2a. 1,000,000 empty MIME parts over SMTP', () => sendSmtp(smtpPort, 'reader@example.test', parts));
  await time('2b. the same APPENDed over IMAP, then FETCH BODYSTRUCTURE', async () => {
    const r = await imapAppendFetch(imapPort, 'reader@example.test', 'pw-reader', parts);
    return `FETCH answer ${r.bytes} bytes in ${r.ms} ms`;
  });
  const big = Buffer.concat([Buffer.from('From: <bulk@remote.test>\r\nTo: <bulk@example.test>\r\nSubject: big\r\n\r\n'), Buffer.alloc(SIZE - (SIZE % 78), 'x'.repeat(76) + '\r\n')]);
  await time(`3. ${PARALLEL} parallel ${(SIZE / 1048576).toFixed(0)} MB messages from one IP`, async () => {
    const replies = await Promise.all(Array.from({ length: PARALLEL }, () => sendSmtp(smtpPort, 'bulk@example.test', big).catch((e: Error) => `error ${e.message}`)));
    const counts = new Map<string, number>();
    for (const r of replies) counts.set(r.slice(0, 3), (counts.get(r.slice(0, 3)) ?? 0) + 1);
    return [...counts].map(([c, n]) => `${n}× ${c}`).join(', ');
  });
  clearInterval(sampler);
  for (const d of drips) clearInterval(d);
  const hwm = kib(status(pid), 'VmHWM');
  console.log('\nstall: results');
  for (const p of phases) console.log(`  ${p}`);
  const protos = ['smtp', 'imap', 'pop3'] as const;
  const worst = Math.max(...all.flatMap((r) => protos.map((p) => r[p].worst ?? Infinity)));
  const p99 = Math.max(...all.flatMap((r) => protos.map((p) => r[p].p99 ?? Infinity)));
  console.log(`  NOOP delay over all phases: worst ${worst.toFixed(0)} ms, p99 (worst phase and protocol) ${p99.toFixed(0)} ms`);
  console.log(`  RSS: idle ${(idleRss / 1024).toFixed(0)} MB, peak sampled ${(peakRss / 1024).toFixed(0)} MB (+${((peakRss - idleRss) / 1024).toFixed(0)} MB), VmHWM ${(hwm / 1024).toFixed(0)} MB (+${((hwm - idleRss) / 1024).toFixed(0)} MB)`);
  console.log(`  targets: p99 < 100 ms ${p99 < 100 ? 'met' : 'MISSED'}, worst < 500 ms ${worst < 500 ? 'met' : 'MISSED'}, peak RSS < 400 MB above idle ${(hwm - idleRss) / 1024 < 400 ? 'met' : 'MISSED'}`);
  await appliance.stop();
}

runBench('stall', main, cleanup);
