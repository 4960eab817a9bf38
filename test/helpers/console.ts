/**
 * The operator console (/admin/) for tests: a `mailserver start` appliance with a config admin,
 * and a small cookie-keeping HTTP client for requests without a browser.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePorts, seedStore, spawnAppliance, REPO_ROOT, type ApplianceProcess } from './process.ts';
import { tempDir } from './appliance.ts';

export const ADMIN = 'Administrator@console.test';
export const PASSWORD = 'admin-secret';

export interface ConsoleAppliance {
  app: ApplianceProcess;
  dir: string;
  dataDir: string;
  configFile: string;
  base: string;
  httpsBase: string;
  smtpPort: number;
  stop(): Promise<void>;
}

/** `settings`: `admin.console.*` settings beyond the defaults. */
export function consoleConfig(ports: { smtp: number; pop3: number; http: number; https: number }, maxRecipients = 100, settings: Record<string, unknown> = {}): string {
  return `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'console.test',
  smtp: { listen: ['127.0.0.1:${ports.smtp}'], maxRecipients: ${maxRecipients} },
  pop3: { listen: ['127.0.0.1:${ports.pop3}'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${ports.http}', '127.0.0.1:${ports.https}*'] },
  delivery: { enabled: false },
  auth: { penalty: { initialDelayMs: 300, maxDelayMs: 600 } },
  admin: { users: [${JSON.stringify(ADMIN)}], console: ${JSON.stringify(settings)} },
  node: { workers: 1 },
  log: { level: 'info' },
});
`;
}

export async function startConsoleAppliance(prefix: string, settings: Record<string, unknown> = {}): Promise<ConsoleAppliance> {
  const dir = tempDir(prefix);
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, http, httpsPort] = (await freePorts(4)) as [number, number, number, number];
  const configFile = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(configFile, consoleConfig({ smtp, pop3, http, https: httpsPort }, 100, settings));
  await seedStore(dataDir, ['console.test'], { [ADMIN]: PASSWORD, 'user@console.test': 'pw-user' });
  const app = spawnAppliance(configFile, dataDir);
  await app.waitForLog('ready', 60_000);
  return {
    app, dir, dataDir, configFile, smtpPort: smtp, base: `http://127.0.0.1:${http}`, httpsBase: `https://127.0.0.1:${httpsPort}`,
    async stop() {
      await app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply { status: number; headers: Headers; text: string; location: string | null; setCookies: string[] }

/** A client that keeps the console's cookies and never follows redirects (so a test sees them). */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(method: string, pathname: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + pathname, { method, headers: h, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location'), setCookies };
  }

  get(pathname: string) {
    return this.request('GET', pathname);
  }

  post(pathname: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', pathname, form, headers);
  }

  /** The CSRF token of the forms on a page. */
  static csrf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }

  async login(user = ADMIN, password = PASSWORD): Promise<Reply> {
    const page = await this.get('/admin/login');
    return this.post('/admin/login', { _csrf: ConsoleClient.csrf(page.text), user, password });
  }
}

/** GET over HTTPS accepting the appliance's self-signed certificate; returns the Set-Cookie headers. */
export function httpsSetCookies(url: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(([] as string[]).concat(res.headers['set-cookie'] ?? [])));
    }).on('error', reject);
  });
}
