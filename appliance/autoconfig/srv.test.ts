import t from 'tap';
import { srvRecords } from './srv.ts';
import type { ClientSettings } from './servers.ts';

const settings: ClientSettings = {
  host: 'mail.example.com', displayName: 'x',
  incoming: [
    { protocol: 'imap', host: 'mail.example.com', port: 993, socket: 'SSL' },
    { protocol: 'imap', host: 'mail.example.com', port: 143, socket: 'STARTTLS' },
    { protocol: 'pop3', host: 'mail.example.com', port: 110, socket: 'STARTTLS' },
  ],
  outgoing: [
    { protocol: 'smtp', host: 'mail.example.com', port: 465, socket: 'SSL' },
    { protocol: 'smtp', host: 'mail.example.com', port: 587, socket: 'STARTTLS' },
    { protocol: 'smtp', host: 'mail.example.com', port: 2587, socket: 'STARTTLS' },
  ],
};

t.test('one record per offered listener, "." for a service not offered', async (t) => {
  const r = srvRecords('example.org', settings).map((x) => `${x.name} ${x.priority} ${x.weight} ${x.port} ${x.target}`);
  t.same(r, [
    '_imaps._tcp.example.org. 0 1 993 mail.example.com.',
    '_imap._tcp.example.org. 10 1 143 mail.example.com.',
    '_pop3s._tcp.example.org. 0 0 0 .',
    '_pop3._tcp.example.org. 10 1 110 mail.example.com.',
    '_submissions._tcp.example.org. 0 1 465 mail.example.com.',
    '_submission._tcp.example.org. 10 1 587 mail.example.com.',
    '_submission._tcp.example.org. 11 1 2587 mail.example.com.',
  ]);
});
