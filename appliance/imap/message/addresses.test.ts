import t from 'tap';
import { addressText, firstAddrMailbox, parseAddressList } from './addresses.ts';

const m = (name: string | null, mailbox: string, host: string, route: string | null = null) => ({ kind: 'mailbox', name, route, mailbox, host });

t.test('address lists (RFC 5322 §3.4) for the ENVELOPE', async (t) => {
  t.same(parseAddressList('"Joe Q. Public" <john.q.public@example.com>'), [m('Joe Q. Public', 'john.q.public', 'example.com')]);
  t.same(parseAddressList('Joe Q. Public <j@x>'), [m('Joe Q. Public', 'j', 'x')], 'obs-phrase with a "."');
  t.same(parseAddressList('user@domain (Real Name)'), [m('Real Name', 'user', 'domain')], 'a comment as the name');
  t.same(parseAddressList('<user-from (comment)@ (comment) domain.org>'), [m(null, 'user-from', 'domain.org')]);
  t.same(parseAddressList('<@route.example,@r2:u@x.example>'), [m(null, 'u', 'x.example', '@route.example,@r2')]);
  t.same(parseAddressList('"a\\"b" <"quoted local"@x>'), [m('a"b', 'quoted local', 'x')]);
  t.same(parseAddressList('a@b, c@[1.2.3.4]'), [m(null, 'a', 'b'), m(null, 'c', '[1.2.3.4]')]);
  t.same(parseAddressList('group: a@b, "C D" <c@d>;, empty:;'), [
    { kind: 'group', name: 'group' }, m(null, 'a', 'b'), m('C D', 'c', 'd'), { kind: 'end' },
    { kind: 'group', name: 'empty' }, { kind: 'end' },
  ]);
  t.same(parseAddressList('undisclosed-recipients:;'), [{ kind: 'group', name: 'undisclosed-recipients' }, { kind: 'end' }]);
  t.same(parseAddressList('g: a@b'), [{ kind: 'group', name: 'g' }, m(null, 'a', 'b'), { kind: 'end' }], 'an unterminated group is closed');
  t.same(parseAddressList('Undisclosed Name'), [m('Undisclosed Name', 'MISSING_MAILBOX', 'MISSING_DOMAIN')], 'a display name alone');
  t.same(parseAddressList('root'), [m(null, 'root', 'MISSING_DOMAIN')], 'a local part alone');
  t.same(parseAddressList('Name <>'), [m('Name', 'MISSING_MAILBOX', 'MISSING_DOMAIN')]);
  t.same(parseAddressList('<>, ,'), [], 'empty entries are skipped');
  t.same(parseAddressList('=?UTF-8?Q?J=C3=B6rg?= <j@x>'), [m('=?UTF-8?Q?J=C3=B6rg?=', 'j', 'x')], 'encoded-words stay raw');
  t.same(parseAddressList(''), []);
  t.equal(parseAddressList('a@b,'.repeat(5000)).length, 1000, 'bounded');
});

t.test('search text and sort key', async (t) => {
  t.equal(addressText(parseAddressList('RealFrom <u@d>, g: x@y;')), 'RealFrom <u@d>, g:,  <x@y>, ;');
  t.equal(firstAddrMailbox(parseAddressList('Zed <zed@x>, a@b')), 'zed');
  t.equal(firstAddrMailbox(parseAddressList('group: beta@x;')), 'group');
  t.equal(firstAddrMailbox(parseAddressList('')), '');
});
