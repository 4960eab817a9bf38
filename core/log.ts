/** One structured logger for the whole appliance (pino). */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; destination?: string } = {}): Logger {
  const level = opts.level ?? process.env.MAILSERVER_LOG_LEVEL ?? 'info';
  if (opts.destination) return pino({ level }, pino.destination({ dest: opts.destination, sync: false, mkdir: true }));
  return pino({ level }, pino.destination({ dest: 2, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
