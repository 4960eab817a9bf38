import t from 'tap';
import {
  formatRfc5322Date, receivedProtocol, renderReceived, validateReceivedTemplate, type ReceivedFields,
} from './received-template.ts';
import { UsageError } from '../core/errors.ts';

// The default of core/config/schema.ts (smtp.receivedTemplate).
const DEFAULT = 'from {helo} ({remoteHost} [{remoteIp}])\r\n\tby {hostname} ({product}) with {protocol} id {id}\r\n\tfor <{recipient}>; {date}';

process.env.TZ = 'UTC';
const fields: ReceivedFields = {
  helo: 'client.example.com',
  remoteHost: 'mail.example.com',
  remoteIp: '192.0.2.1',
  hostname: 'mx.abc.co.jp',
  product: 'mailserver 0.1.0',
  protocol: 'ESMTPS',
  id: 'Q1a2b3',
  recipient: 'info@abc.co.jp',
  date: new Date(Date.UTC(2026, 10, 27, 23, 31, 30)),
  tlsCipher: 'TLSv1.3 TLS_AES_256_GCM_SHA384',
};

t.test('renders the default template', async (t) => {
  t.equal(renderReceived(DEFAULT, fields),
    'from client.example.com (mail.example.com [192.0.2.1])\r\n' +
    '\tby mx.abc.co.jp (mailserver 0.1.0) with ESMTPS id Q1a2b3\r\n' +
    '\tfor <info@abc.co.jp>; Fri, 27 Nov 2026 23:31:30 +0000');
});

t.test('no single recipient: the for line goes, the ; and the date stay', async (t) => {
  t.equal(renderReceived(DEFAULT, { ...fields, recipient: undefined }),
    'from client.example.com (mail.example.com [192.0.2.1])\r\n' +
    '\tby mx.abc.co.jp (mailserver 0.1.0) with ESMTPS id Q1a2b3;\r\n' +
    '\tFri, 27 Nov 2026 23:31:30 +0000');
  t.equal(renderReceived(DEFAULT, { ...fields, recipient: ' \r\n ' }),
    renderReceived(DEFAULT, { ...fields, recipient: undefined }), 'an empty value counts as absent');
});

t.test('optional {tls} line vanishes without TLS', async (t) => {
  const template = 'from {helo} ([{remoteIp}])\n\tby {hostname} with {protocol}\n\t(using {tls})\n\tid {id}; {date}';
  t.equal(renderReceived(template, fields),
    'from client.example.com ([192.0.2.1])\r\n\tby mx.abc.co.jp with ESMTPS\r\n\t(using TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n' +
    '\tid Q1a2b3; Fri, 27 Nov 2026 23:31:30 +0000', 'LF in the template becomes CRLF');
  t.equal(renderReceived(template, { ...fields, tlsCipher: undefined }),
    'from client.example.com ([192.0.2.1])\r\n\tby mx.abc.co.jp with ESMTPS\r\n\tid Q1a2b3; Fri, 27 Nov 2026 23:31:30 +0000');
});

t.test('a whole line with an absent value is removed, date on a line of its own is kept', async (t) => {
  t.equal(renderReceived('by {hostname} id {id} for <{recipient}>;\r\n\t{date}', { ...fields, recipient: undefined }),
    ';\r\n\tFri, 27 Nov 2026 23:31:30 +0000', 'only ; and the date are left');
  t.equal(renderReceived('for <{recipient}>\r\n by {hostname}; {date}', { ...fields, recipient: undefined }),
    'by mx.abc.co.jp; Fri, 27 Nov 2026 23:31:30 +0000', 'the new first line loses its folding whitespace');
});

t.test('missing helo and remote host render as unknown', async (t) => {
  t.equal(renderReceived('from {helo} ({remoteHost} [{remoteIp}]); {date}', { ...fields, helo: undefined, remoteHost: '' }),
    'from unknown (unknown [192.0.2.1]); Fri, 27 Nov 2026 23:31:30 +0000');
});

t.test('client values cannot inject headers or forge tokens', async (t) => {
  const evil = {
    ...fields,
    helo: 'x\r\nX-Injected: yes',
    remoteHost: 'a (b) \\c;d "e"\t\u0000\u2028',
    recipient: 'info@abc.co.jp\r\nBcc: victim@example.com',
  };
  const value = renderReceived(DEFAULT, evil);
  t.equal(value.split('\r\n').length, 3, 'still three folded lines');
  t.notMatch(value, /\r\n(?![\t ])/, 'every line break is a fold');
  t.notMatch(value.replaceAll('\r\n\t', ' '), /[\u0000-\u001f\u2028]/, 'no control characters but the folds');
  t.match(value, /^from xX-Injected:_yes \(a__b___c_d__e_ \[192.0.2.1\]\)\r\n/);
  t.match(value, /for <info@abc.co.jpBcc: victim@example.com>; /);
  t.equal(renderReceived('{helo}; {date}', { ...fields, helo: 'h'.repeat(1000) }).indexOf(';'), 255, 'capped at 255');
});

t.test('continuation lines always start with WSP', async (t) => {
  t.equal(renderReceived('from {helo}\nby {hostname}; {date}', fields),
    'from client.example.com\r\n\tby mx.abc.co.jp; Fri, 27 Nov 2026 23:31:30 +0000');
});

t.test('unknown placeholders', async (t) => {
  t.strictSame(validateReceivedTemplate(DEFAULT), []);
  t.strictSame(validateReceivedTemplate('from {helo} {Helo} {foo} {foo} {bar_1} { x } {} {1}; {date}'), ['{Helo}', '{foo}', '{bar_1}']);
  t.throws(() => renderReceived('from {helo} {client}; {date}', fields), {
    name: 'UsageError', message: /unknown placeholder\(s\) \{client\} \(known: \{helo\}/,
  });
  t.throws(() => renderReceived('{nope}', fields), UsageError);
});

t.test('RFC 5322 date-time in the local zone', async (t) => {
  const instant = new Date(Date.UTC(2026, 10, 27, 23, 31, 30));
  const cases: [string, Date, string][] = [
    ['UTC', instant, 'Fri, 27 Nov 2026 23:31:30 +0000'],
    ['Asia/Tokyo', instant, 'Sat, 28 Nov 2026 08:31:30 +0900'],
    ['America/New_York', instant, 'Fri, 27 Nov 2026 18:31:30 -0500'],
    ['America/New_York', new Date(Date.UTC(2026, 6, 4, 12, 0, 0)), 'Sat, 04 Jul 2026 08:00:00 -0400'],
    ['Asia/Kolkata', instant, 'Sat, 28 Nov 2026 05:01:30 +0530'],
    ['America/St_Johns', new Date(Date.UTC(2026, 0, 5, 1, 2, 3)), 'Sun, 04 Jan 2026 21:32:03 -0330'],
  ];
  try {
    for (const [zone, date, expected] of cases) {
      process.env.TZ = zone;
      t.equal(formatRfc5322Date(date), expected, zone);
    }
  } finally {
    process.env.TZ = 'UTC';
  }
  t.throws(() => formatRfc5322Date(new Date('nope')), RangeError);
});

t.test('receivedProtocol follows RFC 3848', async (t) => {
  const cases: [boolean, boolean, boolean, string][] = [
    [false, false, false, 'SMTP'],
    [false, true, true, 'SMTP'],
    [true, false, false, 'ESMTP'],
    [true, true, false, 'ESMTPS'],
    [true, false, true, 'ESMTPA'],
    [true, true, true, 'ESMTPSA'],
  ];
  for (const [esmtp, tls, auth, expected] of cases) t.equal(receivedProtocol({ esmtp, tls, auth }), expected, expected);
  t.equal(receivedProtocol({ esmtp: true, tls: true, auth: true, utf8: true }), 'UTF8SMTPSA');
  t.equal(receivedProtocol({ esmtp: true, tls: false, auth: false, utf8: true }), 'UTF8SMTP');
});

t.test('a template rendered again with other fields: nothing of the first render is kept', async (t) => {
  const template = 'from {helo} ([{remoteIp}])\r\n\tby {hostname} with {protocol} id {id}\r\n\t(using {tls})\r\n\tfor <{recipient}>; {date}';
  const base = { remoteIp: '192.0.2.1', hostname: 'mx.test', product: 'p', protocol: 'ESMTP', date: new Date(0) };
  const one = renderReceived(template, { ...base, helo: 'one.test', id: 'A1', recipient: 'a@x.test', tlsCipher: 'TLSv1.3' });
  const two = renderReceived(template, { ...base, helo: 'two.test', id: 'B2' });
  t.match(one, /from one\.test .*id A1\r\n\t\(using TLSv1\.3\)\r\n\tfor <a@x\.test>; /s);
  t.match(two, /^from two\.test \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test with ESMTP id B2;\r\n\t\S/, 'absent {tls} and {recipient}: their lines go, the date stays');
  t.notMatch(two, /one\.test|A1|using|a@x\.test/);
  t.throws(() => renderReceived('{nope}', { ...base, id: 'x' }), /unknown placeholder/, 'an unknown placeholder still throws, every time');
  t.throws(() => renderReceived('{nope}', { ...base, id: 'x' }), /unknown placeholder/);
});
