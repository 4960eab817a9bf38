/**
 * The appliance's SMTP server: smtp-server subclassed, not patched. ApplianceSmtpServer creates
 * ApplianceSmtpConnection for its sessions (connect() below), and the command hooks
 * (command-hooks.ts) and session limits (session-limits.ts) are installed on that subclass's
 * prototype only — a plain SMTPServer elsewhere in the process keeps smtp-server's behaviour.
 *
 * Written against smtp-server 3.21.6 (pinned in package.json). The private members the subclass
 * and its overrides rely on are listed in PRIVATE_SURFACE; test/smtp-server-surface.test.ts checks
 * them on the installed version, so an upgrade that changes them fails there, in one place.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection';
import { BRIDGE, installCommandHooks, type CommandBridge } from './command-hooks.ts';
import { installSessionLimits } from './session-limits.ts';
import { installQuotedLocalParts } from './quoted-local-part.ts';

/** The connection class of the appliance's sessions; its prototype carries the overrides. */
export class ApplianceSmtpConnection extends SMTPConnection {}

/**
 * smtp-server members the overrides use that are not its public API: on SMTPConnection (wrapped
 * command handlers, the parser and the state flags they read) and on SMTPServer (what connect()
 * below does as smtp-server's own connect does, and the sockets counted at shutdown).
 */
export const PRIVATE_SURFACE = {
  connection: {
    methods: [
      '_onCommand', 'init', 'send', '_isSupported', '_setListeners', 'connectionReady', '_getHandler', '_createParser', '_onClose',
      'handler_HELO', 'handler_EHLO', 'handler_VRFY', 'handler_NOOP', 'handler_RSET', 'handler_QUIT', 'handler_MAIL', 'handler_RCPT',
      'handler_AUTH', 'handler_DATA', '_parseAddressCommand',
    ],
    /** Instance fields, set in the constructor. */
    fields: ['_server', '_upgrading', '_ready', '_nextHandler', '_parser', '_dataStream', 'session', 'name'],
  },
  server: {
    methods: ['connect', '_onError', '_onClientConnect'],
    fields: ['connections', '_pendingSockets', 'options', 'server'],
  },
} as const;

export class ApplianceSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions, bridge: CommandBridge) {
    installCommandHooks(ApplianceSmtpConnection.prototype);
    installSessionLimits(ApplianceSmtpConnection.prototype);
    installQuotedLocalParts(ApplianceSmtpConnection.prototype);
    super(options);
    (this as unknown as Record<symbol, unknown>)[BRIDGE] = bridge;
  }

  /** As SMTPServer.connect (3.21.6), with the appliance's connection class. */
  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new ApplianceSmtpConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }
}
