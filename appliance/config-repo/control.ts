/**
 * The running appliance's config control socket: `<dataDir>/config.sock`, a UNIX socket only its
 * owner may open (mode 0600, in the data directory). The pre-receive hook asks it to check and
 * apply a pushed commit, `mailserver config rollback` to apply an earlier one. One JSON request
 * line; the answer is JSON lines `{"say": "..."}` (shown to the git client as `remote:` lines)
 * and a last `{"ok": true|false}`.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CommitAuthor } from './repository.ts';

export type ControlRequest =
  | {
      op: 'push';
      /** MAILSERVER_PUSH_TOKEN of the HTTP request that runs the hook; absent for a push by local path. */
      token?: string;
      /** What main pointed at when the push began (zeros: it did not exist). */
      old?: string;
      /** The pushed commit and its files (base64): the objects are still in git's quarantine. */
      oid: string;
      files: Record<string, string>;
    }
  | { op: 'rollback'; rev: string; author: CommitAuthor }
  /**
   * A commit made on the appliance (the console's editor): `files` (repository path -> UTF-8
   * text) replace those of `base`, which must still be main; checked and applied like a push.
   */
  | { op: 'commit'; base: string | null; files: Record<string, string>; message: string; author: CommitAuthor };

export interface ControlAnswer { ok: boolean; oid?: string }

export function socketPath(dataDir: string): string {
  return path.join(dataDir, 'config.sock');
}

export type ControlHandler = (req: ControlRequest, say: (line: string) => void) => Promise<ControlAnswer>;

export async function listenControl(dataDir: string, handler: ControlHandler, onError: (err: Error) => void): Promise<() => Promise<void>> {
  const file = socketPath(dataDir);
  fs.rmSync(file, { force: true }); // left by an appliance that was killed
  const server = net.createServer((socket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      socket.removeAllListeners('data');
      const send = (o: object) => socket.writable && socket.write(JSON.stringify(o) + '\n');
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
      } catch {
        send({ say: 'bad request: not JSON' });
        socket.end(JSON.stringify({ ok: false }) + '\n');
        return;
      }
      handler(req, (line) => send({ say: line })).then(
        (answer) => socket.end(JSON.stringify(answer) + '\n'),
        (err: Error) => {
          onError(err);
          send({ say: `error: ${err.message}` });
          socket.end(JSON.stringify({ ok: false }) + '\n');
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  fs.chmodSync(file, 0o600);
  return () => new Promise<void>((resolve) => server.close(() => {
    fs.rmSync(file, { force: true });
    resolve();
  }));
}

/** Sends a request to the running appliance; null when none is running on this data directory. */
export function askAppliance(dataDir: string, req: ControlRequest, say: (line: string) => void): Promise<ControlAnswer | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath(dataDir));
    let buf = '';
    let answer: ControlAnswer | null = null;
    let connected = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(JSON.stringify(req) + '\n');
    });
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { say?: string; ok?: boolean; oid?: string };
        buf = buf.slice(nl + 1);
        if (typeof msg.say === 'string') say(msg.say);
        if (typeof msg.ok === 'boolean') answer = { ok: msg.ok, oid: msg.oid };
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) resolve(null);
      else reject(err);
    });
    socket.on('close', () => {
      if (!connected) return;
      if (answer) resolve(answer);
      else reject(new Error('the appliance closed the control connection without an answer'));
    });
  });
}
