/**
 * A real clamd (Debian's clamav-daemon) for antivirus tests, offline: its database directory
 * holds only signature files the test writes (an .ndb body signature of the EICAR test string
 * and an .hdb hash signature), so neither freshclam nor the network is needed. Detections of
 * such signatures are reported as `<Name>.UNOFFICIAL`. It listens on a UNIX socket and on a
 * free loopback TCP port; start one per test file (loading takes a moment).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './appliance.ts';
import { commonPort } from './sink.ts';

/** The EICAR anti-virus test string, assembled so that this file itself is not a detection. */
export const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join('');

export interface TestClamd {
  socket: string;
  pid: number;
  host: string;
  port: number;
  /** Signature names as clamd reports them. */
  names: { eicar: string; hashed: string };
  /** SIGSTOP / SIGCONT: clamd accepts connections but answers nothing (a hung scanner). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** Answers PONG to PING (clamd's own liveness check)? */
export function ping(target: { socket?: string; host?: string; port?: number }, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = target.socket ? net.connect(target.socket) : net.connect(target.port!, target.host ?? '127.0.0.1');
    let buf = '';
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => s.write('zPING\0'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('PONG')) done(true);
    });
    s.on('error', () => done(false));
    s.on('close', () => done(buf.includes('PONG')));
  });
}

/** Starts clamd with a signature for EICAR and one MD5 signature of `hashed` (default: a fixed text). */
export async function startClamd(opts: { hashed?: Buffer } = {}): Promise<TestClamd> {
  const dir = tempDir('clamd-');
  const db = path.join(dir, 'db');
  fs.mkdirSync(db);
  const hashed = opts.hashed ?? Buffer.from('this exact attachment is a known bad file\n');
  fs.writeFileSync(path.join(db, 'test.ndb'), `Test.EICAR:0:*:${Buffer.from(EICAR).toString('hex')}\n`);
  fs.writeFileSync(path.join(db, 'test.hdb'), `${crypto.createHash('md5').update(hashed).digest('hex')}:${hashed.length}:Test.Hashed\n`);
  const socket = path.join(dir, 'clamd.sock');
  const port = await commonPort(['127.0.0.1']);
  const conf = path.join(dir, 'clamd.conf');
  fs.writeFileSync(conf, [
    `DatabaseDirectory ${db}`, `LocalSocket ${socket}`, `TCPSocket ${port}`, 'TCPAddr 127.0.0.1', 'Foreground yes',
    // INSTREAM data is spooled to a file before the scan: keep it in memory when possible
    `TemporaryDirectory ${fs.existsSync('/dev/shm') ? '/dev/shm' : dir}`,
    `LogFile ${path.join(dir, 'clamd.log')}`, `PidFile ${path.join(dir, 'clamd.pid')}`, 'SelfCheck 3600', 'MaxThreads 20',
    ...(process.getuid?.() === 0 ? ['User root'] : []), '',
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/sbin/clamd', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (!(await ping({ socket }))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`clamd did not start: ${err.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socket, host: '127.0.0.1', port, pid: child.pid!,
    names: { eicar: 'Test.EICAR.UNOFFICIAL', hashed: 'Test.Hashed.UNOFFICIAL' },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async close() {
      if (child.exitCode === null) child.kill('SIGCONT'), child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
