/**
 * IMAP wire tests: a real appliance (SMTP + POP3 + IMAP on 127.0.0.1 port 0), accounts, mail
 * delivered over SMTP, and Python's imaplib as the client.
 */
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, type TestAppliance } from './appliance.ts';
import type { UserConfig } from '../../core/config/schema.ts';

export const DOMAIN = 'example.test';

export async function startImapAppliance(overrides: UserConfig = {}, names = ['alice', 'bob']): Promise<TestAppliance> {
  const app = await startTestAppliance(overrides);
  await seedAccounts(app, DOMAIN, names);
  return app;
}

const PREAMBLE = `
import imaplib, smtplib, ssl, json, os, socket, time, sys, base64
H = '127.0.0.1'
P = int(os.environ.get('IMAP_PORT', '0'))
TP = int(os.environ.get('IMAPS_PORT', '0'))
SP = int(os.environ.get('SMTP_PORT', '0'))
CTX = ssl._create_unverified_context()
# commands imaplib does not know, usable through _simple_command
for _name in ('ID', 'ENABLE', 'MOVE', 'IDLE', 'UNSELECT', 'NAMESPACE'):
    imaplib.Commands.setdefault(_name, ('NONAUTH', 'AUTH', 'SELECTED'))
out = {}
def plain():
    return imaplib.IMAP4(H, P, timeout=15)
def tls():
    c = plain()
    c.starttls(CTX)
    return c
def implicit():
    return imaplib.IMAP4_SSL(H, TP, ssl_context=CTX, timeout=15)
def login(name, conn=None):
    c = conn or tls()
    c.login(name + '@example.test', 'pw-' + name)
    return c
def send(to, data):
    s = smtplib.SMTP(H, SP, timeout=15)
    s.sendmail('sender@example.org', [to + '@example.test'], data)
    s.quit()
def attempt(f):
    try:
        return f()
    except Exception as e:
        return 'EXC:' + type(e).__name__ + ':' + str(e)
def enc(o):
    if isinstance(o, bytes): return o.decode('utf-8', 'replace')
    if isinstance(o, tuple): return list(o)
    raise TypeError(repr(o))
`;

/** Runs a Python imaplib script against the appliance; returns its `out` dict. */
export function imaplib(app: TestAppliance, script: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const code = `${PREAMBLE}\n${script}\nprint(json.dumps(out, default=enc))\n`;
  const env = { ...process.env, IMAP_PORT: String(app.imapPort), IMAPS_PORT: String(app.imapsPort), SMTP_PORT: String(app.smtpPort) };
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', code], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python failed: ${err.message}\n${stderr}\n${stdout}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}
