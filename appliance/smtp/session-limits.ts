/**
 * Per-session limits smtp-server does not have, installed on the prototype of the appliance's
 * SMTPConnection subclass (appliance-server.ts) like command-hooks.ts:
 * - a deadline per line (Postfix smtpd_per_record_deadline with smtpd_timeout): from the first
 *   byte of a command line (or of a line inside DATA) to its LF, `commandDeadlineMs`;
 * - a deadline for the whole DATA, from the 354 to the final dot, `dataDeadlineMs`;
 * - an error limit (Postfix smtpd_soft_error_limit / smtpd_hard_error_limit /
 *   smtpd_error_sleep_time): every reply >= 400 counts; past the soft limit each further
 *   command waits `errorSleepMs` before it is handled; at the hard limit the session ends with
 *   421. 10,000 RCPTs to unknown users cannot all be answered quickly (address harvesting).
 * A deadline that passes ends the session with `421 4.4.2`.
 */
import { BRIDGE, type CommandBridge } from './command-hooks.ts';
import { LineDeadline } from '../net/line-deadline.ts';

export interface SessionLimits {
  commandDeadlineMs: number;
  dataDeadlineMs: number;
  softErrorLimit: number;
  hardErrorLimit: number;
  errorSleepMs: number;
}

const STATE = Symbol('mailserver.smtp.limits');

interface State {
  errors: number;
  line?: LineDeadline;
  data?: NodeJS.Timeout;
}

type Callback = () => void;
interface Conn {
  _server: { [BRIDGE]?: CommandBridge };
  _parser: { _dataMode?: boolean; write: (chunk: unknown, ...rest: unknown[]) => boolean } | false;
  _dataStream: { once(ev: string, fn: () => void): void } | false | null;
  name: string;
  session: { id: string };
  send(code: number, data?: string | string[], context?: string | false): void;
  [STATE]?: State;
}

type Proto = {
  send: (this: Conn, code: number, data?: string | string[], context?: string | false) => void;
  _onCommand: (this: Conn, command: Buffer, callback: Callback) => void;
  _createParser: (this: Conn) => Conn['_parser'];
  _onClose: (this: Conn) => void;
  handler_DATA: (this: Conn, command: Buffer, callback: Callback) => void;
};

const limitsOf = (conn: Conn): SessionLimits | undefined => conn._server[BRIDGE]?.limits;
const stateOf = (conn: Conn): State => (conn[STATE] ??= { errors: 0 });

function expire(conn: Conn, what: 'line' | 'data'): void {
  const st = stateOf(conn);
  st.line?.stop();
  clearTimeout(st.data);
  // 421 closes the connection (smtp-server's send)
  conn.send(421, `4.4.2 ${conn.name} Error: ${what === 'data' ? 'DATA' : 'command line'} not completed in time, closing connection`);
}

/** Watches the bytes the parser gets (plain text, before or after STARTTLS) for line ends. */
function watchLines(conn: Conn, limits: SessionLimits, chunk: unknown): void {
  const st = stateOf(conn);
  st.line ??= new LineDeadline(() => limits.commandDeadlineMs, () => expire(conn, 'line'));
  if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) st.line.feed(chunk);
}

const installed = new WeakSet<object>();

/** Installs the limits on `target`, the prototype of the appliance's SMTPConnection subclass (appliance-server.ts), once. */
export function installSessionLimits(target: object): void {
  if (installed.has(target)) return;
  installed.add(target);
  const proto = target as Proto;

  const createParser = proto._createParser;
  proto._createParser = function (this: Conn) {
    const parser = createParser.call(this);
    if (!parser || !limitsOf(this)) return parser;
    const write = parser.write.bind(parser);
    parser.write = (chunk: unknown, ...rest: unknown[]) => {
      const limits = limitsOf(this);
      if (limits) watchLines(this, limits, chunk);
      return write(chunk, ...rest);
    };
    return parser;
  };

  const onClose = proto._onClose;
  proto._onClose = function (this: Conn) {
    const st = this[STATE];
    if (st) {
      st.line?.stop();
      clearTimeout(st.data);
    }
    return onClose.call(this);
  };

  const handlerData = proto.handler_DATA;
  proto.handler_DATA = function (this: Conn, command, callback) {
    handlerData.call(this, command, callback);
    const limits = limitsOf(this);
    const stream = this._dataStream;
    if (!limits || !stream) return;
    const st = stateOf(this);
    clearTimeout(st.data);
    st.data = setTimeout(() => {
      // the dot came and the message is being processed: the client owes nothing
      if (this._parser && this._parser._dataMode) expire(this, 'data');
    }, limits.dataDeadlineMs);
    st.data.unref();
    const done = () => clearTimeout(st.data);
    stream.once('end', done);
    stream.once('error', done);
  };

  const send = proto.send;
  proto.send = function (this: Conn, code, data, context) {
    const limits = limitsOf(this);
    send.call(this, code, data, context);
    if (!limits || code < 400 || code === 421) return;
    const st = stateOf(this);
    st.errors++;
    if (st.errors >= limits.hardErrorLimit) {
      send.call(this, 421, `4.7.0 ${this.name} Error: too many errors, closing connection`);
    }
  };

  const onCommand = proto._onCommand;
  proto._onCommand = function (this: Conn, command, callback) {
    const limits = limitsOf(this);
    const errors = this[STATE]?.errors ?? 0;
    if (!limits || errors < limits.softErrorLimit || limits.errorSleepMs === 0) return onCommand.call(this, command, callback);
    // past the soft limit every command waits (Postfix smtpd_error_sleep_time)
    setTimeout(() => onCommand.call(this, command, callback), limits.errorSleepMs).unref();
  };
}
