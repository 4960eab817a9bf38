/** One structured logger for the whole appliance (pino). */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

export type LogFormat = 'json' | 'pretty';

/**
 * How the appliance's own log (stderr) is written: human-readable lines (pino-pretty) when stderr
 * is a terminal, one JSON object a line otherwise (journald, files, log shippers).
 * MAILSERVER_LOG_FORMAT=json|pretty overrides the guess.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, tty = !!process.stderr.isTTY): LogFormat {
  const given = env.MAILSERVER_LOG_FORMAT;
  if (given === 'json' || given === 'pretty') return given;
  return tty ? 'pretty' : 'json';
}

export function createLogger(opts: { level?: string; destination?: string } = {}): Logger {
  const level = opts.level ?? process.env.MAILSERVER_LOG_LEVEL ?? 'info';
  if (opts.destination) return pino({ level }, pino.destination({ dest: opts.destination, sync: false, mkdir: true }));
  if (logFormat() === 'pretty') {
    // the time as the operator's clock reads it; pid and hostname are the same on every line
    return pino({ level }, pretty({ destination: 2, sync: true, colorize: !!process.stderr.isTTY, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true }));
  }
  return pino({ level }, pino.destination({ dest: 2, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** LG-1/CL-3: every log file of a node lives in <dataDir>/logs/<node name>/, so nodes sharing a work folder keep apart. */
export function nodeLogDir(dataDir: string, node: string): string {
  return path.join(dataDir, 'logs', node);
}

/**
 * An append-only log file that never throws: when its folder cannot be made or a write fails,
 * the appliance's own log (stderr, i.e. journald/syslog under a service manager) gets one
 * warning naming the file, and later lines are dropped (LG-1: "a warning to the system log").
 */
export class AppendLog {
  private out: fs.WriteStream | null = null;
  private failed = false;

  constructor(readonly file: string, private readonly log: Logger, private readonly what = 'log') {}

  private fail(err: unknown): void {
    if (!this.failed) this.log.warn({ err, file: this.file }, `${this.what} cannot be written`);
    this.failed = true;
  }

  write(line: string): void {
    if (this.failed) return;
    if (!this.out) {
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      } catch (err) {
        return this.fail(err);
      }
      this.out = fs.createWriteStream(this.file, { flags: 'a', mode: 0o600 });
      this.out.on('error', (err) => this.fail(err));
    }
    this.out.write(line);
  }

  /**
   * One event as a line: its ISO time, then the fields tab-separated. A field's tabs and line
   * breaks become a space (they would break the one-line-per-event format); null or undefined is
   * written `-`; a field is cut at `maxField` characters when given.
   */
  record(fields: (string | number | null | undefined)[], maxField?: number): void {
    const clean = (v: string | number | null | undefined) => {
      const text = String(v ?? '-').replace(/[\t\r\n]+/g, ' ');
      return maxField === undefined ? text : text.slice(0, maxField);
    };
    this.write(`${new Date().toISOString()}\t${fields.map(clean).join('\t')}\n`);
  }

  close(): Promise<void> {
    const out = this.out;
    this.out = null;
    return out ? new Promise<void>((resolve) => out.end(resolve)) : Promise.resolve();
  }
}
