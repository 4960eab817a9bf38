import t from 'tap';
import { dotStuff, headerEnd, topOf } from './message-format.ts';

const s = (b: Buffer) => b.toString('latin1');
const B = (x: string) => Buffer.from(x, 'latin1');

t.test('dotStuff doubles a leading dot and ends with .CRLF (RFC 1939 §3)', async (t) => {
  t.equal(s(dotStuff(B('a\r\n.b\r\n..c\r\n.\r\nd.e\r\n'))), 'a\r\n..b\r\n...c\r\n..\r\nd.e\r\n.\r\n');
  t.equal(s(dotStuff(B('.first\r\n'))), '..first\r\n.\r\n');
  t.equal(s(dotStuff(B(''))), '.\r\n');
});

t.test('dotStuff turns bare LF into CRLF and terminates the last line', async (t) => {
  t.equal(s(dotStuff(B('a\n.b\nc'))), 'a\r\n..b\r\nc\r\n.\r\n');
  t.equal(s(dotStuff(B('\n\n'))), '\r\n\r\n.\r\n');
  t.equal(s(dotStuff(B('a\r\nb'))), 'a\r\nb\r\n.\r\n');
});

t.test('headerEnd and topOf (RFC 1939 §7 TOP)', async (t) => {
  const msg = B('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n');
  t.equal(headerEnd(msg), 14);
  t.equal(s(topOf(msg, 0)), 'A: 1\r\nB: 2\r\n\r\n');
  t.equal(s(topOf(msg, 2)), 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
  t.equal(s(topOf(msg, 99)), s(msg));
  t.equal(s(topOf(B('A: 1\nB: 2\n\nbody\n'), 0)), 'A: 1\nB: 2\n\n');
  t.equal(headerEnd(B('A: 1\r\nno blank line')), null);
  t.equal(s(topOf(B('A: 1\r\nno blank line'), 0)), 'A: 1\r\nno blank line');
  t.equal(s(topOf(B('\r\nbody only\r\n'), 0)), '\r\n');
});
