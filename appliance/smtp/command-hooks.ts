/**
 * smtp-server answers HELO/EHLO, VRFY, NOOP, RSET, QUIT and unknown commands by itself and
 * has no EXPN; its options expose only connect/auth/mail/rcpt/data/close. To run the core
 * hooks for those commands (and Haraka plugins' helo, vrfy, noop, rset, quit and
 * unrecognized_command hooks) this module wraps those handlers on the prototype of the
 * appliance's own SMTPConnection subclass (appliance-server.ts), and each wrapper asks the bridge
 * of the server that owns the connection. Other SMTP servers in the process are not touched.
 *
 * Before smtp-server parses MAIL and RCPT, an address that is not valid UTF-8 is refused with 501
 * (smtp-server would decode it with U+FFFD replacements, which then end up in Return-Path), and
 * AUTH inside a mail transaction gets 503 (RFC 4954 §4).
 *
 * It also lets a reply carry its own RFC 3463 enhanced code: smtp-server adds one from its
 * table, so a message that already starts with one is sent without a second; and it makes
 * smtp-server's fixed 100 ms pause before the greeting (its early-talker check) a setting,
 * since that pause alone caps a listener at sessions/0.1 s new connections a second.
 */
import { isUtf8 } from 'node:buffer';
import { REPLIES, type SmtpReply } from './replies.ts';
import type { SessionLimits } from './session-limits.ts';

export const BRIDGE = Symbol.for('mailserver.smtp.bridge');
/** Set on a connection while its EHLO reply is built without AUTH. */
const HIDE_AUTH = Symbol('mailserver.smtp.hide-auth');

type Callback = () => void;
type Session = { id: string } & Record<string, unknown>;

/** What the listener provides to the wrapped command handlers. Null = default behaviour. */
export interface CommandBridge {
  /** Pause before the 220 greeting, to catch clients that talk first (0 = none). */
  greetingDelayMs: number;
  /** AUTH only on TLS (smtp.auth.allowInsecure off): EHLO on a plain connection does not list it (Postfix smtpd_tls_auth_only). */
  authNeedsTls: boolean;
  /** Line and DATA deadlines, error limits (session-limits.ts). */
  limits: SessionLimits;
  helo(session: Session, verb: 'HELO' | 'EHLO', host: string): Promise<SmtpReply | null>;
  vrfy(session: Session, arg: string): Promise<SmtpReply | null>;
  expn(session: Session, arg: string): Promise<SmtpReply | null>;
  /** noop, rset, quit: a reply here replaces the default one. */
  simple(session: Session, hook: 'noop' | 'rset' | 'quit'): Promise<SmtpReply | null>;
  unrecognized(session: Session, line: string): Promise<SmtpReply | null>;
}

interface Conn {
  _server: { [BRIDGE]?: CommandBridge; options: { maxClients?: number }; connections: Set<unknown> };
  name: string;
  _setListeners(cb: () => void): void;
  connectionReady(): void;
  session: Session;
  _upgrading: boolean;
  _ready: boolean;
  _nextHandler: unknown;
  send(code: number, data?: string | string[], context?: string | false): void;
  close(): void;
  _getHandler(cmd: string): unknown;
  secure: boolean;
  [HIDE_AUTH]?: boolean;
}

type Handler = (this: Conn, command: Buffer | string, callback: Callback) => void;
type Proto = Record<string, Handler> & {
  send: Conn['send'];
  _onCommand: (this: Conn, command: Buffer, callback: Callback) => void;
  init: (this: Conn) => void;
  _isSupported: (this: Conn, command: string) => boolean;
};

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

function answer(conn: Conn, reply: SmtpReply, callback: Callback): void {
  conn.send(reply.code, `${reply.enhanced} ${reply.message}`);
  if (reply.disconnect) conn.close();
  callback();
}

function wrap(proto: Proto, name: string, run: (conn: Conn, bridge: CommandBridge, line: string) => Promise<SmtpReply | null>): void {
  const original = proto[name];
  proto[name] = function (this: Conn, command, callback) {
    const bridge = this._server[BRIDGE];
    if (!bridge) return original.call(this, command, callback);
    run(this, bridge, command.toString()).then(
      (reply) => (reply ? answer(this, reply, callback) : original?.call(this, command, callback)),
      () => answer(this, { code: 451, enhanced: '4.3.0', message: 'Local error in processing' }, callback),
    );
  };
}

const installed = new WeakSet<object>();

/** Installs the overrides on `target`, the prototype of a subclass of SMTPConnection (appliance-server.ts), once. */
export function installCommandHooks(target: object): void {
  if (installed.has(target)) return;
  installed.add(target);
  const proto = target as Proto;

  const send = proto.send;
  proto.send = function (this: Conn, code, data, context) {
    if (typeof data === 'string' && ENHANCED_PREFIX.test(data)) return send.call(this, code, data, false);
    return send.call(this, code, data, context);
  };

  // EHLO lists AUTH when _isSupported('AUTH'); the flag hides it for this one reply only
  const isSupported = proto._isSupported;
  proto._isSupported = function (this: Conn, command) {
    if (this[HIDE_AUTH] && String(command).trim().toUpperCase() === 'AUTH') return false;
    return isSupported.call(this, command);
  };
  const ehlo = proto.handler_EHLO;
  proto.handler_EHLO = function (this: Conn, command, callback) {
    const bridge = this._server[BRIDGE];
    if (!bridge?.authNeedsTls || this.secure) return ehlo.call(this, command, callback);
    this[HIDE_AUTH] = true;
    try {
      return ehlo.call(this, command, callback);
    } finally {
      this[HIDE_AUTH] = false;
    }
  };

  for (const verb of ['HELO', 'EHLO'] as const) {
    wrap(proto, `handler_${verb}`, async (conn, bridge, line) => {
      const parts = line.trim().split(/\s+/);
      // syntax errors are answered by smtp-server itself
      if (parts.length !== 2) return null;
      return bridge.helo(conn.session, verb, parts[1]);
    });
  }
  wrap(proto, 'handler_VRFY', (conn, bridge, line) => bridge.vrfy(conn.session, line.trim().split(/\s+/).slice(1).join(' ')));
  proto.handler_EXPN = function (this: Conn, command, callback) {
    const bridge = this._server[BRIDGE];
    const arg = command.toString().trim().split(/\s+/).slice(1).join(' ');
    if (!bridge) {
      this.send(502, 'Error: EXPN not implemented');
      return callback();
    }
    bridge.expn(this.session, arg).then(
      (reply) => answer(this, reply ?? { code: 502, enhanced: '5.5.1', message: 'EXPN not implemented' }, callback),
      () => answer(this, { code: 451, enhanced: '4.3.0', message: 'Local error in processing' }, callback),
    );
  };
  for (const hook of ['noop', 'rset', 'quit'] as const) {
    wrap(proto, `handler_${hook.toUpperCase()}`, (conn, bridge) => bridge.simple(conn.session, hook));
  }

  for (const [verb, what] of [['MAIL', 'sender'], ['RCPT', 'recipient']] as const) {
    const original = proto[`handler_${verb}`];
    proto[`handler_${verb}`] = function (this: Conn, command, callback) {
      if (this._server[BRIDGE] && Buffer.isBuffer(command) && !isUtf8(command)) return answer(this, REPLIES.invalidUtf8(what), callback);
      return original.call(this, command, callback);
    };
  }
  const auth = proto.handler_AUTH;
  proto.handler_AUTH = function (this: Conn, command, callback) {
    const envelope = this.session.envelope as { mailFrom?: unknown } | undefined;
    if (this._server[BRIDGE] && envelope?.mailFrom) return answer(this, REPLIES.authInTransaction(), callback);
    return auth.call(this, command, callback);
  };

  const init = proto.init;
  proto.init = function (this: Conn) {
    const bridge = this._server[BRIDGE];
    if (!bridge) return init.call(this);
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      // a client that talks before the greeting gets 421 "You talk too soon" (RFC 5321 §4.3.1:
      // the client waits for the 220); a pause makes such clients visible
      const delay = bridge.greetingDelayMs;
      if (delay > 0) setTimeout(() => this.connectionReady(), delay).unref();
      else setImmediate(() => this.connectionReady());
    });
  };

  const onCommand = proto._onCommand;
  proto._onCommand = function (this: Conn, command, callback) {
    const bridge = this._server[BRIDGE];
    const verb = (command || '').toString().split(' ')[0].toUpperCase();
    if (!bridge || this._upgrading || !this._ready || this._nextHandler || typeof this._getHandler(verb) === 'function') {
      return onCommand.call(this, command, callback);
    }
    bridge.unrecognized(this.session, command.toString()).then(
      (reply) => (reply ? answer(this, reply, callback) : onCommand.call(this, command, callback)),
      () => onCommand.call(this, command, callback),
    );
  };
}
