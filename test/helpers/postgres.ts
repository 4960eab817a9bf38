/**
 * A private PostgreSQL 15 server for tests (Debian's `postgresql` package, binaries in
 * /usr/lib/postgresql/15/bin; no system cluster is needed or touched). initdb refuses to run as
 * root, so the server runs as the `postgres` OS user in a temp directory it owns. It listens on
 * 127.0.0.1 on a free port (socket in the temp dir), with fsync and synchronous_commit on, as
 * in production. One server per test file; `database()` makes a fresh database per test.
 *
 *   const pg = await startPostgres();      // ~1-2 s
 *   const url = await pg.database();       // postgres://postgres@127.0.0.1:PORT/t_1
 *   ...
 *   await pg.stop();                       // also done at process exit
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './process.ts';

const run = promisify(execFile);
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** URL of the `postgres` database (admin). */
  adminUrl: string;
  port: number;
  dir: string;
  /** Creates an empty database (or a copy of `template`, a database nobody is connected to) and returns its URL. */
  database(name?: string, template?: string): Promise<string>;
  /** Fast shutdown then start again on the same port (clients see their connections drop). */
  restart(): Promise<void>;
  /** Stops the server without starting it (pair with start()). */
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function asPostgres(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, cmd), ...args], { timeout: 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} failed: ${err.stderr || err.message}`);
  }
}

let dbSeq = 0;

export async function startPostgres(): Promise<TestPostgres> {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) throw new Error(`PostgreSQL 15 not found in ${PG_BIN} (apt-get install postgresql)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgtest-'));
  const data = path.join(dir, 'data');
  fs.chmodSync(dir, 0o755);
  execFileSync('chown', ['postgres:postgres', dir]);
  // --no-sync only skips initdb's own fsync of the template files; the server runs with fsync on
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  let port = 0;
  let running = false;
  const pgctl = (args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), ...args]);

  const start = async () => {
    for (let tries = 0; ; tries++) {
      if (!port || tries > 0) port = (await freePorts(1))[0];
      try {
        await pgctl(['-w', '-t', '30', '-o',
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=32MB`, 'start']);
        running = true;
        return;
      } catch (e) {
        if (tries >= 3) throw new Error(`${(e as Error).message}\n${fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000)}`);
      }
    }
  };
  const restartSamePort = async () => {
    await pgctl(['-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=32MB`, 'start']);
    running = true;
  };
  const halt = async () => {
    if (!running) return;
    await pgctl(['-w', '-m', 'fast', 'stop']);
    running = false;
  };
  const cleanup = () => {
    if (running) {
      try { execFileSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' }); } catch { /* gone */ }
      running = false;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);

  await start();
  return {
    get adminUrl() { return `postgres://postgres@127.0.0.1:${port}/postgres`; },
    get port() { return port; },
    dir,
    async database(name?: string, template?: string) {
      const db = name ?? `t_${process.pid}_${++dbSeq}`;
      await asPostgres('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...(template ? ['-T', template] : []), db]);
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    async restart() {
      await halt();
      await restartSamePort();
    },
    halt,
    start: restartSamePort,
    async stop() {
      await halt();
      process.removeListener('exit', cleanup);
      cleanup();
    },
  };
}

let shared: Promise<TestPostgres> | null = null;

/**
 * One server per test process, started on first use and stopped at exit: with
 * TEST_STORE=postgres, startTestAppliance puts every appliance of an existing wire test on a
 * fresh database of it (`TEST_STORE=postgres npx tap test/imap-imaplib.test.ts`).
 */
export function sharedTestPostgres(): Promise<TestPostgres> {
  shared ??= startPostgres();
  return shared;
}
