/**
 * `/config.git/` on the appliance's HTTP service: git's smart HTTP protocol served by git's own
 * `git http-backend` (a CGI program, RFC 3875), so clone, fetch and push behave exactly as with
 * any git server. Every request needs HTTP Basic authentication (RFC 7617) as a config admin
 * (admin-auth.ts), clones included: the config holds secrets. The pre-receive hook reaches the
 * appliance with a token bound to this request (push-tokens), never with stored credentials.
 */
import { spawn } from 'node:child_process';
import type http from 'node:http';
import type { Logger } from '../../core/log.ts';
import type { HttpHandler } from '../http/routes.ts';
import type { AuthGuard } from '../auth/guard.ts';

export const ROUTE = '/config.git/';
const REALM = 'mailserver config';

export interface GitHttpOptions {
  /** The directory holding config.git (GIT_PROJECT_ROOT): the data directory. */
  projectRoot: string;
  /** True when `user` / `password` is a config admin. */
  authenticate(user: string, password: string): Promise<boolean>;
  /**
   * The appliance's login guard: a (client IP, user) pair that failed waits before its next
   * check (the right password still gets in), and a full hashing queue answers 503.
   */
  guard: AuthGuard;
  /** A token the pre-receive hook presents for this request's pushes; released when the request ends. */
  issueToken(user: string): { token: string; release(): void };
  /** Extra environment for git and its hooks (the control socket's path). */
  env?: Record<string, string>;
  log: Logger;
}

/** `Authorization: Basic base64(user:password)` -> [user, password] (RFC 7617 §2). */
export function parseBasic(header: string | undefined): [string, string] | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function unauthorized(res: http.ServerResponse, why: string): void {
  const body = `${why}\n`;
  res.writeHead(401, {
    'www-authenticate': `Basic realm="${REALM}", charset="UTF-8"`,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function gitHttpHandler(o: GitHttpOptions): HttpHandler {
  const log = o.log.child({ service: 'config.git' });
  return async (req, res) => {
    const credentials = parseBasic(req.headers.authorization);
    if (!credentials) return unauthorized(res, 'authentication required (a config admin account)');
    const [user, password] = credentials;
    const ip = req.socket.remoteAddress ?? '';
    const result = await o.guard.attempt(ip, user, async () => ((await o.authenticate(user, password)) ? true : null), { protocol: 'http' });
    if (result.kind === 'busy') {
      log.warn({ user, remote: ip }, 'config.git: too many password checks in progress');
      res.writeHead(503, { 'retry-after': '5', 'content-type': 'text/plain' }).end('too many logins in progress, try again shortly\n');
      return;
    }
    if (result.kind === 'failed') {
      log.warn({ user, remote: ip, penaltyMs: result.delayedMs }, 'config.git: authentication failed');
      return unauthorized(res, 'wrong user or password, or not a config admin (admin.users)');
    }
    const target = new URL(req.url ?? '/', 'http://localhost');
    const pathInfo = decodeURIComponent(target.pathname);
    if (!pathInfo.startsWith(ROUTE) || pathInfo.split('/').includes('..')) {
      res.writeHead(404).end();
      return;
    }
    const { token, release } = o.issueToken(user);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: o.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      QUERY_STRING: target.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      MAILSERVER_PUSH_TOKEN: token,
      ...o.env,
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    // git sends upload-pack requests gzip-compressed; http-backend inflates them itself
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.HTTP_GIT_PROTOCOL = String(req.headers['git-protocol']);
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).length > 8192 && (stderr = stderr.slice(-8192)));
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    req.on('aborted', () => child.kill());
    await new Promise<void>((resolve) => {
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        // CGI response (RFC 3875 §6): header lines, a blank line, the body
        const m = /\r?\n\r?\n/.exec(head.toString('latin1'));
        if (!m) return;
        headersDone = true;
        const lines = head.subarray(0, m.index).toString('latin1').split(/\r?\n/);
        let status = 200;
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (colon < 0) continue;
          const name = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
          else headers[name] = value;
        }
        res.writeHead(status, headers);
        res.write(head.subarray(m.index + m[0].length));
      });
      child.on('close', (code) => {
        release();
        if (code !== 0) log.warn({ code, stderr: stderr.trim(), path: pathInfo }, 'git http-backend failed');
        if (!headersDone) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('git http-backend failed\n');
        } else res.end();
        resolve();
      });
      child.on('error', (err) => {
        log.error({ err }, 'cannot run git http-backend');
      });
    });
  };
}
