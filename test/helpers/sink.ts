/**
 * SMTP peers for delivery tests, on loopback addresses (127.0.0.x) so that several "MX hosts"
 * share one port (the appliance's delivery.port):
 * - startSmtpSink: Postfix's smtp-sink, with its fault-injection options, capturing to a dump file;
 * - startPeer: a recording server on the smtp-server library (AUTH, STARTTLS, per-recipient replies);
 * - startRawPeer: a hand-driven socket for peers that misbehave below what a library allows.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A port free on every given loopback address. */
export async function commonPort(hosts: string[]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const servers: net.Server[] = [];
    let ok = true;
    for (const h of hosts) {
      const s = net.createServer();
      ok = await new Promise<boolean>((r) => {
        s.once('error', () => r(false));
        s.listen(port, h, () => r(true));
      });
      if (!ok) break;
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return port;
  }
  throw new Error('no common free port');
}

export interface DumpedMessage {
  from: string;
  to: string[];
  content: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages(): DumpedMessage[];
  close(): Promise<void>;
}

/** smtp-sink on host:port, dumping every transaction to a file; `extra` are its options (-r RCPT, -q DATA, ...). */
export async function startSmtpSink(host: string, port: number, extra: string[] = []): Promise<SmtpSink> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-sink-'));
  fs.chmodSync(dir, 0o777);
  const dump = path.join(dir, 'dump');
  const root = process.getuid?.() === 0;
  const child = spawn('/usr/sbin/smtp-sink', [...(root ? ['-u', 'nobody'] : []), '-D', dump, ...extra, `${host}:${port}`, '64'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, host, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) break;
    if (i > 60 || child.exitCode !== null) throw new Error(`smtp-sink did not listen on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    port,
    messages() {
      if (!fs.existsSync(dump)) return [];
      return fs.readFileSync(dump, 'latin1').split(/^(?=X-Client-Addr:)/m).filter((m) => m.trim()).map((m) => {
        const headerEnd = m.search(/^(?!X-(?:Client|Helo|Mail|Rcpt)-)/m);
        const meta = m.slice(0, headerEnd);
        return {
          from: /^X-Mail-Args: <([^>]*)>/m.exec(meta)?.[1] ?? '',
          to: [...meta.matchAll(/^X-Rcpt-Args: <([^>]*)>/gm)].map((x) => x[1]),
          content: m.slice(headerEnd),
        };
      });
    },
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PeerMessage {
  from: string;
  to: string[];
  content: Buffer;
  secure: boolean;
  user: string | null;
  /** MAIL FROM carried SMTPUTF8 (RFC 6531). */
  smtpUtf8: boolean;
}

export interface PeerOptions {
  /** Required AUTH (PLAIN/LOGIN) credentials. */
  auth?: { user: string; pass: string };
  /** Implicit TLS (a self-signed certificate of smtp-server's). */
  secure?: boolean;
  /** Reply for RCPT TO: an Error with responseCode, or null to accept. */
  onRcpt?: (address: string) => (Error & { responseCode?: number }) | null;
  /** Wait this long before answering the end of DATA (transactions overlap). */
  dataDelayMs?: number;
  /** Leave SMTPUTF8 out of EHLO (a peer without RFC 6531). */
  hideSMTPUTF8?: boolean;
}

export interface Peer {
  host: string;
  port: number;
  messages: PeerMessage[];
  /** The most transactions that were in DATA at the same time. */
  maxConcurrent: number;
  close(): Promise<void>;
}

export function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startPeer(host: string, port: number, opts: PeerOptions = {}): Promise<Peer> {
  const messages: PeerMessage[] = [];
  const state = { current: 0, maxConcurrent: 0 };
  const options: SMTPServerOptions = {
    secure: opts.secure ?? false,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    hideSMTPUTF8: opts.hideSMTPUTF8 ?? false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) cb(null, { user: auth.username });
      else cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address, _session, cb) {
      cb(opts.onRcpt?.(address.address) ?? null);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      state.current++;
      state.maxConcurrent = Math.max(state.maxConcurrent, state.current);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if (opts.dataDelayMs) await new Promise((r) => setTimeout(r, opts.dataDelayMs));
        state.current--;
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          content: Buffer.concat(chunks),
          secure: !!session.secure,
          user: (session.user as string | undefined) ?? null,
          smtpUtf8: !!session.envelope.smtpUtf8,
        });
        cb(null);
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host, port, messages,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A socket server that answers each line with what `script` returns (null = say nothing, 'close' = hang up). */
export async function startRawPeer(host: string, port: number, greeting: string | null, script: (line: string) => string | null | 'close'): Promise<{ close(): Promise<void>; connections: number }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((sock) => {
    state.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    if (greeting !== null) sock.write(greeting);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const reply = script(line);
        if (reply === 'close') return void sock.destroy();
        if (reply !== null) sock.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return Object.assign(state, {
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  });
}

const SUBMIT = `
import smtplib, sys, json
port, user, pw, frm, rcpts, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(','), sys.stdin.read()
s = smtplib.SMTP('127.0.0.1', int(port))
s.ehlo('client.test')
if user:
    s.login(user, pw)
print(json.dumps(s.sendmail(frm, rcpts, body.encode())))
s.quit()
`;

/** Submits a message to the appliance with Python's smtplib (AUTH when a user is given, so it may relay). */
export async function submit(port: number, o: { user?: string; pw?: string; from: string; to: string[]; body?: string; subject?: string }): Promise<void> {
  const { python } = await import('./python.ts');
  const body = o.body ?? `From: ${o.from}\r\nTo: ${o.to.join(', ')}\r\nSubject: ${o.subject ?? 'hello'}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@client.test>\r\n\r\nHello there.\r\n`;
  const r = await python(SUBMIT, [String(port), o.user ?? '', o.pw ?? '', o.from, o.to.join(',')], { input: body });
  if (r.code !== 0) throw new Error(`smtplib submission failed: ${r.stderr}`);
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
