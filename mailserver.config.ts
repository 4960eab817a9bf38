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
    // RX-1: plain SMTP with STARTTLS, and implicit TLS ("submissions"). For production use
    // '0.0.0.0:25', '0.0.0.0:465*' (needs CAP_NET_BIND_SERVICE or root).
    listen: ['127.0.0.1:2525', '127.0.0.1:2465*'],
    maxMessageSize: 50 * 1024 * 1024, // RX-7, 0 = unlimited
    maxRecipients: 100, // RX-7
    maxSessions: 0, // RX-5, 0 = unlimited
    vrfy: true, // RX-2 (the original's default: answer VRFY/EXPN)
    auth: { methods: ['PLAIN', 'LOGIN', 'CRAM-MD5'], allowInsecure: false },
    bareLf: 'reject',
  },
  pop3: {
    listen: ['127.0.0.1:1110', '127.0.0.1:1995*'],
    apopExclusive: false,
  },
  // tls: { cert: '/etc/ssl/mail.pem', key: '/etc/ssl/mail.key' },  // else a self-signed one is made
  // haraka: { configDir: './haraka/config', plugins: ['access', 'headers'] },
  plugins: [],
});
