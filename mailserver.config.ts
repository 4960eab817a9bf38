/**
 * The appliance's configuration: the only file an operator edits. Every field is optional;
 * the defaults (shown here for the common ones) come from core/config/schema.ts, which also
 * documents each setting. Listener specs are `host:port`, with a trailing `*` for implicit
 * TLS, as in the original product (`465*`).
 */
import { defineConfig } from './core/index.ts';

export default defineConfig({
  hostname: 'localhost',
  smtp: {
    // RX-1: SMTP from other servers (MX), STARTTLS offered. For production use '0.0.0.0:25'
    // (ports below 1024 need CAP_NET_BIND_SERVICE or root). Mail clients use `submission` below.
    listen: ['127.0.0.1:2525'],
    maxMessageSize: 50 * 1024 * 1024, // RX-7, 0 = unlimited
    maxRecipients: 100, // RX-7
    maxSessions: 1000, // RX-5, 0 = unlimited
    maxSessionsPerIp: 50, // Postfix smtpd_client_connection_count_limit
    vrfy: true, // RX-2 (the original's default: answer VRFY/EXPN)
    auth: { methods: ['PLAIN', 'LOGIN'], allowInsecure: false }, // add 'CRAM-MD5' only for --auth-apop accounts
    bareLf: 'reject',
  },
  // Message submission for mail clients (RFC 6409, README "Submission"): AUTH before MAIL, the
  // sender must be the login or one of its aliases, relay once authenticated. STARTTLS, and
  // implicit TLS (`*`, RFC 8314 "submissions"). Production: ['0.0.0.0:587', '0.0.0.0:465*'].
  submission: { listen: ['127.0.0.1:2587', '127.0.0.1:2465*'] },
  pop3: {
    listen: ['127.0.0.1:1110', '127.0.0.1:1995*'],
    apopExclusive: false,
  },
  // tls: { cert: '/etc/ssl/mail.pem', key: '/etc/ssl/mail.key' },  // else a self-signed one is made
  // haraka: { configDir: './haraka/config', plugins: ['access', 'headers'] },
  // Delivery (TX-1 … TX-6, README "Delivery"): MX through the system resolver on port 25 unless set
  // delivery: {
  //   workers: 20, perDestination: 10,                          // TX-1
  //   retry: { intervalSeconds: 120, refusals: 9, lineErrorSeconds: 8 * 3600, unreachableSeconds: 24 * 3600 }, // TX-2
  //   dnsServers: ['192.0.2.53'], mxCacheSeconds: 864000,        // TX-3
  //   gateway: 'smarthost.example.net:587', gatewayTableFile: './gateway.dat', // TX-4
  //   auth: { method: 'PLAIN', user: 'relay', pass: 'secret' }, // TX-6
  // },
  // Config as code (README "Config as code"): after the first start this file lives in the
  // appliance's git repository; change it with `git clone http://ADMIN@127.0.0.1:8025/config.git`,
  // edit, commit, `git push` (validated, policy-tested and applied live, or refused with reasons).
  // http: { listen: ['127.0.0.1:8025'] },     // 'host:port*' = HTTPS; also serves RFC 8058 unsubscribe links
  // admin: { users: ['admin@example.com'] },  // who may clone and push (default: the domains' admins)
  // Cluster (README "Cluster"): identical nodes on one PostgreSQL database
  // store: { kind: 'postgres', url: 'postgres://mail:secret@db.example/mail' },
  // node: { name: process.env.MAILSERVER_NODE ?? 'node1', shareConfig: true },
  plugins: [
    {
      // RL-1 … RL-7, RX-4, RX-6, AC-4, AC-5 (README "Relay control and SMTP policy")
      name: 'relay-effect',
      options: {
        // effect.dat rules, first match wins, e.g. { match: '192.168.0.0/16', action: 'default' };
        // or file: './effect.dat' to read the original's file as it is
        rules: [],
        // secure default: an unauthenticated client never relays just because its MAIL FROM
        // names a local account. true = the original's behaviour (any client may relay for
        // local senders), which makes this server an open relay for anyone who forges one.
        localSenderRelay: false,
        authLevel: 'optional', // RX-4: 'optional' | 'required' | 'per-account'
        senderTrust: 'auth-id', // RX-6: 'auth-id' | 'envelope' | 'envelope-and-header'
      },
    },
    // Antivirus and mail filter (AV-1 … AV-3, MF-1 … MF-3, AC-6; README "Mail filter and antivirus")
    // { name: 'antivirus', options: { clamd: { socket: '/run/clamav/clamd.ctl' }, onError: 'tempfail', viruslog: true } },
    // { name: 'mailfilter', options: { file: './mail.dat', exemptIps: [], accounts: { 'bob@example.com': { file: './bob-mail.dat' } } } },
    // FW-1, FW-2, AR-1 (README "Auto-forward and auto-reply"); `mailserver autoreply import DIR
    // --account USER@DOMAIN` prints an entry from the original's IMS.CTL and its text files
    // { name: 'autoreply', options: { accounts: {
    //   'suzuki@example.test': { keep: false, reply: { text: '移動しました。', subject: 'It moved', echo: 'with-headers' } },
    // } } },
    // Mailing lists (ML-1 … ML-5, README "Mailing lists"); members: mailserver list import LIST FILE
    // { name: 'mailing-list', options: { lists: [{ name: 'test', subjectTag: '[test %03d]', admin: 'boss@example.com' }] } },
  ],
});
