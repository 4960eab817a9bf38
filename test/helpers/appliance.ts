/**
 * Starts a real appliance in this process on 127.0.0.1 port 0 listeners with a fresh data
 * directory, for wire tests with real clients.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAppliance, type Appliance } from '../../appliance/start.ts';
import { validateConfig } from '../../core/config/load.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { openEmbeddedStore } from '../../appliance/store/embedded/index.ts';
import { openPostgresStore } from '../../appliance/store/postgres/index.ts';
import { sharedTestPostgres } from './postgres.ts';
import type { UserConfig } from '../../core/config/schema.ts';

export interface TestAppliance extends Appliance {
  smtpPort: number;
  smtpsPort: number;
  /** The port-0 submission listeners (RFC 6409): STARTTLS, and implicit TLS (RFC 8314). */
  submissionPort: number;
  submissionsPort: number;
  pop3Port: number;
  pop3sPort: number;
  imapPort: number;
  imapsPort: number;
  /** http://127.0.0.1:PORT and https://127.0.0.1:PORT of the port-0 HTTP listeners ('' when a test set http.listen without one). */
  httpUrl: string;
  httpsUrl: string;
  /** A second handle on the store, as the CLI would open it. */
  store: ReturnType<typeof openEmbeddedStore>;
}

export function tempDir(prefix = 'mailserver-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const testDatabases = new Map<string, string>();

export async function startTestAppliance(overrides: UserConfig = {}, dataDir = tempDir(), opts: { log?: Logger } = {}): Promise<TestAppliance> {
  if (process.env.TEST_STORE === 'postgres' && !overrides.store) {
    // one database per data directory: an appliance restarted on the same directory finds its data
    const url = testDatabases.get(dataDir) ?? (await (await sharedTestPostgres()).database());
    testDatabases.set(dataDir, url);
    overrides = { ...overrides, store: { kind: 'postgres', url } };
  }
  const config = validateConfig({
    hostname: 'mail.test',
    ...overrides,
    smtp: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...overrides.smtp },
    submission: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...overrides.submission },
    pop3: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...overrides.pop3 },
    imap: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...overrides.imap },
    http: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], ...overrides.http },
    // tests reach only loopback: no delivery (whose MX lookups would ask the system resolver)
    // unless a test sets it up with its own DNS server or gateway
    delivery: overrides.delivery ?? { enabled: false },
    log: { level: 'silent' },
  });
  const app = await startAppliance({ config, dataDir, log: opts.log ?? (process.env.TEST_LOG ? undefined : silentLogger) });
  // on the cluster store (store: { kind: 'postgres', url }) the second handle is a second PostgreSQL store instance
  const store = config.store.kind === 'postgres'
    ? (await openPostgresStore({ url: config.store.url, nodeName: `${config.node.name}-test-handle`, poolSize: 4 })) as unknown as ReturnType<typeof openEmbeddedStore>
    : openEmbeddedStore(dataDir);
  const port = (list: { implicitTls: boolean; port: number }[], tls: boolean) => list.find((l) => l.implicitTls === tls)?.port ?? 0;
  const smtp = app.smtp.listeners.filter((l) => !l.submission);
  const submission = app.smtp.listeners.filter((l) => l.submission);
  // the handle's prototype is the appliance itself, so its live getters (config, smtp, delivery …)
  // keep following the serving generation after an apply
  return Object.assign(Object.create(app) as typeof app, {
    smtpPort: port(smtp, false),
    smtpsPort: port(smtp, true),
    submissionPort: port(submission, false),
    submissionsPort: port(submission, true),
    pop3Port: port(app.pop3.listeners, false),
    pop3sPort: port(app.pop3.listeners, true),
    imapPort: port(app.imap.listeners, false),
    imapsPort: port(app.imap.listeners, true),
    httpUrl: app.http.listeners.some((l) => !l.implicitTls) ? `http://127.0.0.1:${port(app.http.listeners, false)}` : '',
    httpsUrl: app.http.listeners.some((l) => l.implicitTls) ? `https://127.0.0.1:${port(app.http.listeners, true)}` : '',
    store,
    async close() {
      await store.close();
      await app.close();
    },
  });
}

/** Adds a domain and accounts (password = "pw-" + local part). */
export async function seedAccounts(app: TestAppliance, domain: string, names: string[], extra: Record<string, unknown> = {}) {
  if (!(await app.store.domains.get(domain))) await app.store.domains.create({ name: domain });
  for (const name of names) {
    await app.store.accounts.create({
      name, domain, password: `pw-${name}`, fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
      pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false, ...extra,
    });
  }
}

/** Messages in an account's INBOX, with their bytes. */
export async function inbox(app: TestAppliance, address: string): Promise<{ uid: number; content: string }[]> {
  const acct = await app.store.accounts.get(address);
  if (!acct) throw new Error(`no account ${address}`);
  const mbox = await app.store.mail.mailbox(acct.id, 'INBOX');
  const out = [];
  for (const m of await app.store.mail.messages(mbox!.id)) out.push({ uid: m.uid, content: (await app.store.mail.read(m.blobId)).toString('utf8') });
  return out;
}
