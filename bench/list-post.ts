/**
 * List distribution benchmark: one post to a list of BENCH_MEMBERS (1,000)
 * addresses across BENCH_DOMAINS (20) domains, all relayed to one loopback sink; the clock runs
 * from the 250 that acknowledges the post until the sink has taken the last member's copy.
 * Against a throwaway Postfix (bench/postfix-peer.sh) expanding the same addresses as a virtual
 * alias, relayed (PEER_TRANSPORT) to the same kind of sink, in the same run. BENCH_POSTS (5)
 * posts are timed one after the other; the best of each is reported, as copies (member
 * deliveries) per second. The sink is smtp-server in this process, counting recipients.
 *
 *   bash bench/list-post.sh      BENCH_MEMBERS=10000 BENCH_DOMAINS=200 bash bench/list-post.sh
 * Env: BENCH_MEMBERS, BENCH_DOMAINS, BENCH_POSTS, BENCH_VERP=1 (the list with bounceLimit:
 * one transaction per member), BENCH_ONLY (appliance|postfix).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { REPO_ROOT, freePorts, spawnAppliance, type ApplianceProcess } from '../test/helpers/process.ts';
import { startPeer, type Peer } from '../test/helpers/sink.ts';
import { PEER_SCRIPT, installCleanup, intEnv, runBench } from './run.ts';

const MEMBERS = intEnv('BENCH_MEMBERS', 1000);
const DOMAINS = intEnv('BENCH_DOMAINS', 20);
const POSTS = intEnv('BENCH_POSTS', 5);
const VERP = !!process.env.BENCH_VERP;
const ONLY = process.env.BENCH_ONLY ?? '';
const HOST = '127.0.0.1';
const LIST = 'bench@bench.test';
const members = Array.from({ length: MEMBERS }, (_, i) => `m${i}@d${i % DOMAINS}.test`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-list-post-'));
fs.chmodSync(work, 0o755);
let appliance: ApplianceProcess | null = null;
let postfixDir: string | null = null;

const cleanup = installCleanup('list-post', work, () => ({ appliance, postfixDir }));

const rcpts = (peer: Peer) => peer.messages.reduce((n, m) => n + m.to.length, 0);

/** Posts BENCH_POSTS times; each: seconds from the 250 to the sink holding every member's copy. */
async function timePosts(port: number, peer: Peer): Promise<number> {
  const smtp = nodemailer.createTransport({ host: HOST, port, secure: false, ignoreTLS: true });
  let best = Infinity;
  for (let p = 0; p < POSTS; p++) {
    const want = rcpts(peer) + MEMBERS;
    await smtp.sendMail({ envelope: { from: 'poster@x.test', to: [LIST] }, from: 'poster@x.test', to: LIST, subject: `bench post ${p}`, text: 'x'.repeat(2000) });
    const t0 = process.hrtime.bigint();
    while (rcpts(peer) < want) {
      if (process.hrtime.bigint() - t0 > 120_000_000_000n) throw new Error(`only ${rcpts(peer) - want + MEMBERS} of ${MEMBERS} copies arrived`);
      await new Promise((r) => setImmediate(r));
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`list-post: post ${p + 1}: ${MEMBERS} copies in ${s.toFixed(3)} s`);
    best = Math.min(best, s);
  }
  smtp.close();
  return best;
}

async function benchAppliance(): Promise<number> {
  const [smtpPort, pop3Port, sinkPort] = await freePorts(3);
  const dataDir = path.join(work, 'appliance-data');
  const store = openEmbeddedStore(dataDir);
  await store.domains.create({ name: 'bench.test' });
  await store.lists!.replaceMembers(LIST, members.map((address) => ({ address, name: '' })));
  await store.close();
  const configFile = path.join(work, 'mailserver.config.ts');
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'bench.test',
  smtp: { listen: ['${HOST}:${smtpPort}'] },
  pop3: { listen: ['${HOST}:${pop3Port}'] },
  delivery: { gateway: '${HOST}:${sinkPort}' },
  plugins: [{ name: 'mailing-list', options: { lists: [{ name: '${LIST}', posters: 'anyone', bounceLimit: ${VERP ? 3 : 0} }] } }],
  log: { level: 'info' },
});
`);
  const peer = await startPeer(HOST, sinkPort);
  appliance = spawnAppliance(configFile, dataDir);
  try {
    await appliance.waitForLog('delivery started', 60_000);
    return await timePosts(smtpPort, peer);
  } finally {
    await appliance.stop(5000);
    appliance = null;
    await peer.close();
  }
}

async function benchPostfix(): Promise<number> {
  const [port, sinkPort] = await freePorts(2);
  postfixDir = path.join(work, 'postfix');
  const domains = Array.from({ length: DOMAINS }, (_, i) => `d${i}.test`).join(' ');
  const env = { ...process.env, PEER_DOMAINS: `bench.test ${domains}`, PEER_TRANSPORT: `smtp:[${HOST}]:${sinkPort}` };
  const peer = await startPeer(HOST, sinkPort);
  try {
    execFileSync('bash', [PEER_SCRIPT, 'start', postfixDir, String(port)], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000, env });
    const etc = path.join(postfixDir, 'etc');
    fs.writeFileSync(path.join(etc, 'list'), `${LIST} ${members.join(',')}\n`);
    execFileSync('postconf', ['-c', etc, '-e', `virtual_alias_maps = texthash:${path.join(etc, 'list')}`, 
      // Postfix's defaults stop at 1,000 addresses an expansion (and 1,000 in its duplicate filter)
      `virtual_alias_expansion_limit = ${MEMBERS + 10}`, `duplicate_filter_limit = ${MEMBERS + 10}`, 'smtp_tls_security_level = none']);
    execFileSync('postfix', ['-c', etc, 'reload'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    return await timePosts(port, peer);
  } finally {
    execFileSync('bash', [PEER_SCRIPT, 'stop', postfixDir], { stdio: 'ignore', timeout: 30_000 });
    postfixDir = null;
    await peer.close();
  }
}

async function main(): Promise<void> {
  const shape = `${MEMBERS} members in ${DOMAINS} domains, best of ${POSTS} posts${VERP ? ', VERP (one transaction a member)' : ''}`;
  console.log(`list-post: ${shape}; work directory ${work}`);
  const app = ONLY === 'postfix' ? null : await benchAppliance();
  const pf = ONLY === 'appliance' ? null : await benchPostfix();
  const rate = (s: number) => `${s.toFixed(3)} s = ${(MEMBERS / s).toFixed(0)} copies/s`;
  const parts = [app && `appliance ${rate(app)}`, pf && `postfix ${rate(pf)}`, app && pf && `ratio ${(pf / app).toFixed(2)}x (postfix time / appliance time)`].filter(Boolean);
  console.log(`list-post: ${parts.join(', ')} (${shape})`);
}

runBench('list-post', main, cleanup);
