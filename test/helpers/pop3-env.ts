/**
 * A running POP3 service for wire tests: a fresh embedded store in a temp dir, a self-signed
 * certificate, listeners on 127.0.0.1 port 0 (plain and implicit TLS), and three accounts.
 */
import fs from 'node:fs';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { validateConfig } from '../../core/config/load.ts';
import type { UserConfig } from '../../core/config/schema.ts';
import { HookRunner } from '../../core/hooks.ts';
import { silentLogger } from '../../core/log.ts';
import type { Account, MessageMeta } from '../../core/store/ports.ts';
import { loadTlsMaterial, type TlsMaterial } from '../../appliance/net/tls.ts';
import { openEmbeddedStore, type EmbeddedStores } from '../../appliance/store/embedded/index.ts';
import { startPop3, type Pop3Context, type Pop3Service } from '../../appliance/pop3/index.ts';

export const DOMAIN = 'example.test';
/** alice: USER/PASS; bob: has an APOP secret; carol: POP3 disabled (AC-7). */
export const PASSWORDS = { alice: 'alice pass 1', bob: 'bob-secret', carol: 'carol-secret' } as const;
export type Name = keyof typeof PASSWORDS;

export interface Pop3Env {
  dir: string;
  stores: EmbeddedStores;
  hooks: HookRunner;
  service: Pop3Service;
  plainPort: number;
  tlsPort: number;
  accounts: Record<Name, Account>;
  deliver(name: Name, content: string | Buffer): Promise<void>;
  inbox(name: Name): Promise<MessageMeta[]>;
  close(): Promise<void>;
}

export interface EnvOptions {
  pop3?: UserConfig['pop3'];
  /** Set after validation, so tests may go under the schema's 1 s minimum. */
  socketTimeoutMs?: number;
  limits?: Pop3Context['limits'];
  hiddenIps?: string[];
  hooks?: (hooks: HookRunner) => void;
}

let tlsOnce: Promise<TlsMaterial> | undefined;
function tlsMaterial(): Promise<TlsMaterial> {
  if (!tlsOnce) {
    // one certificate per test process: generating a 2048-bit key takes a while
    const dir = fs.mkdtempSync(os.tmpdir() + '/pop3-tls-');
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    tlsOnce = loadTlsMaterial(validateConfig({}), dir, silentLogger);
  }
  return tlsOnce;
}

export async function startEnv(opts: EnvOptions = {}): Promise<Pop3Env> {
  const dir = fs.mkdtempSync(os.tmpdir() + '/pop3-');
  const config = validateConfig({ pop3: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...opts.pop3 } });
  if (opts.socketTimeoutMs) config.pop3.socketTimeoutMs = opts.socketTimeoutMs;
  const stores = openEmbeddedStore(dir);
  await stores.domains.create({ name: DOMAIN });
  const base = { domain: DOMAIN, fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false };
  const accounts = {
    alice: await stores.accounts.create({ ...base, name: 'alice', password: PASSWORDS.alice }),
    bob: await stores.accounts.create({ ...base, name: 'bob', password: PASSWORDS.bob, apop: true }),
    carol: await stores.accounts.create({ ...base, name: 'carol', password: PASSWORDS.carol, pop3Disabled: true }),
  };
  const hooks = new HookRunner({ timeoutMs: 5000, log: silentLogger });
  opts.hooks?.(hooks);
  const service = await startPop3({
    config, stores, hooks, tls: await tlsMaterial(), log: silentLogger, hostname: 'pop.example.test',
    hiddenIps: opts.hiddenIps, limits: opts.limits,
  });
  const port = (tls: boolean) => service.listeners.find((l) => l.implicitTls === tls)!.port;
  return {
    dir, stores, hooks, service, accounts,
    plainPort: port(false),
    tlsPort: port(true),
    async deliver(name, content) {
      await stores.mail.deliver({ accountIds: [accounts[name].id], content: Buffer.from(content), internalDate: new Date() });
    },
    async inbox(name) {
      const box = await stores.mail.mailbox(accounts[name].id, 'INBOX');
      return stores.mail.messages(box!.id);
    },
    async close() {
      await service.close();
      await stores.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Two messages; the first has lines starting with '.' (byte-stuffing). */
export const MESSAGES = [
  'From: sender@example.org\r\nTo: alice@example.test\r\nSubject: first\r\n\r\nline 1\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n',
  'From: other@example.org\r\nTo: alice@example.test\r\nSubject: second\r\nX-Long: a\r\n b\r\n\r\n' +
    Array.from({ length: 20 }, (_, i) => `body line ${i + 1}`).join('\r\n') + '\r\n',
];

const PREAMBLE = `
import poplib, ssl, json, os, socket, time, hashlib
H = '127.0.0.1'
P = int(os.environ.get('PORT', '0'))
TP = int(os.environ.get('TLS_PORT', '0'))
CTX = ssl._create_unverified_context()
out = {}
def attempt(f):
    try:
        return f()
    except poplib.error_proto as e:
        a = e.args[0]
        return 'EXC:' + (a.decode('latin1') if isinstance(a, bytes) else str(a))
def plain():
    return poplib.POP3(H, P, timeout=10)
def stls():
    p = plain()
    p.stls(CTX)
    return p
def implicit():
    return poplib.POP3_SSL(H, TP, context=CTX, timeout=10)
def login(p, user, pw):
    p.user(user)
    return p.pass_(pw)
def enc(o):
    if isinstance(o, bytes): return o.decode('latin1')
    raise TypeError(repr(o))
`;

/** Runs a Python poplib script (async: the server runs in this process); returns its `out` dict. */
export function python(script: string, env: Record<string, string | number>): Promise<Record<string, any>> {
  const code = `${PREAMBLE}\n${script}\nprint(json.dumps(out, default=enc))\n`;
  const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', code], { env: { ...process.env, ...vars }, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}
