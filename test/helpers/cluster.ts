/**
 * Cluster test scenarios on a network-namespace lab (test/helpers/netns.ts): appliance nodes
 * with the ipwatcher plugin on 10.77.0.0/24, the virtual IP 10.77.0.100, and Python clients in
 * the client namespace. Used by test/cluster-failover-*.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { LabAppliance, type LabHost, type NetLab } from './netns.ts';
import { seedStore } from './process.ts';
import type { TestPostgres } from './postgres.ts';
import { openEmbeddedStore } from '../../appliance/store/embedded/index.ts';

export const VIP = '10.77.0.100';
export const PYTHON = process.env.PYTHON ?? 'python3';
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fresh database's URL over PostgreSQL's Unix socket (reachable from every namespace). */
export async function socketUrl(pg: TestPostgres): Promise<string> {
  const db = new URL(await pg.database()).pathname.slice(1);
  return `postgres://postgres@localhost:${pg.port}/${db}?host=${encodeURIComponent(pg.dir)}`;
}

/** A node's config; `extra` adds sections (its smtp keys are merged into the listener settings). */
export function nodeConfig(host: LabHost, peers: LabHost[], watch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { smtp, ...rest } = extra as { smtp?: Record<string, unknown> };
  return {
    hostname: `${host.name}.cluster.test`,
    node: { name: host.name },
    // 0.0.0.0: the listeners accept on the VIP whenever it appears; RX-9 hides the real IP
    smtp: { listen: ['0.0.0.0:25'], hiddenIps: [host.ip], ...smtp },
    pop3: { listen: ['0.0.0.0:110'], hiddenIps: [host.ip] },
    imap: { listen: ['127.0.0.1:0'] },
    delivery: { enabled: false },
    log: { level: 'info' },
    plugins: [{
      name: 'ipwatcher',
      options: { vip: `${VIP}/24`, interface: host.iface, peers: peers.map((p) => p.ip), intervalMs: 300, timeoutMs: 400, ...watch },
    }],
    ...rest,
  };
}

/** Nodes with embedded stores (domain cluster.test, account u1), not started yet. */
export async function makeNodes(t: Test, lab: NetLab, watch: (i: number) => Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<LabAppliance[]> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const nodes: LabAppliance[] = [];
  for (const [i, host] of lab.nodes.entries()) {
    const dir = path.join(base, host.name);
    await seedStore(dir, ['cluster.test'], { 'u1@cluster.test': 'pw-u1' });
    nodes.push(new LabAppliance(lab, host, dir, nodeConfig(host, lab.nodes.filter((n) => n !== host), watch(i), extra), { MAILSERVER_HEARTBEAT_MS: '500' }));
  }
  t.teardown(async () => {
    for (const n of nodes) await n.stop();
  });
  return nodes;
}

/** Subjects of u1@cluster.test's INBOX messages in a node's embedded store. */
export async function subjectsIn(dataDir: string): Promise<string[]> {
  const store = openEmbeddedStore(dataDir);
  try {
    const acct = await store.accounts.get('u1@cluster.test');
    const mbox = await store.mail.mailbox(acct!.id, 'INBOX');
    const out: string[] = [];
    for (const m of await store.mail.messages(mbox!.id)) {
      const text = (await store.mail.read(m.blobId)).toString('utf8');
      const s = /^Subject: (.*)$/m.exec(text);
      if (s) out.push(s[1].trim());
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Holds a session on the VIP, waits for a line on stdin (the test kills the holder), then retries until accepted. */
export const MID_SESSION = String.raw`
import smtplib, sys, time
vip = sys.argv[1]
s = smtplib.SMTP(timeout=5)
code, banner = s.connect(vip, 25)
s.ehlo('client.test'); s.mail('a@client.test'); s.rcpt('u1@cluster.test')
print('OPEN', banner.decode(), flush=True)
sys.stdin.readline()
t0 = time.time()
try:
    s.data(b'Subject: first\r\n\r\nfirst\r\n'); print('FIRST-ACCEPTED', flush=True)
except Exception as e:
    print('FIRST-FAILED', type(e).__name__, flush=True)
while True:
    try:
        c = smtplib.SMTP(timeout=2)
        code, banner = c.connect(vip, 25)
        if code != 220: raise Exception('greeting %d' % code)
        c.sendmail('a@client.test', ['u1@cluster.test'], b'Subject: retry\r\n\r\nretry\r\n')
        c.quit()
        print('RETRY-OK %.3f %s' % (time.time() - t0, banner.decode()), flush=True)
        break
    except Exception as e:
        if time.time() - t0 > 20:
            print('RETRY-GAVE-UP', e, flush=True); sys.exit(1)
        time.sleep(0.2)
`;

/** Sends one message after another to the VIP for argv[2] seconds; prints OK/FAIL per message. */
export const LOAD = String.raw`
import smtplib, sys, time
vip, seconds = sys.argv[1], float(sys.argv[2])
t0 = time.time(); i = 0
while time.time() - t0 < seconds:
    i += 1; subject = 'load-%d' % i
    try:
        c = smtplib.SMTP(timeout=3)
        code, banner = c.connect(vip, 25)
        if code != 220: raise Exception('greeting %d' % code)
        c.sendmail('a@client.test', ['u1@cluster.test'], ('Subject: %s\r\n\r\nx\r\n' % subject).encode())
        print('OK', subject, banner.decode().split()[0], flush=True)
        try: c.quit()
        except Exception: pass
    except Exception as e:
        print('FAIL', subject, type(e).__name__, flush=True)
        time.sleep(0.1)
`;

export const GREETING = String.raw`
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(s.recv(512).decode().strip())
`;
