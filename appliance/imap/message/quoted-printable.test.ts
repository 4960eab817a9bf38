import t from 'tap';
import { decodeQuotedPrintable } from './quoted-printable.ts';

const qp = (s: string) => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');

t.test('quoted-printable (RFC 2045 §6.7)', async (t) => {
  t.equal(qp('caf=C3=A9'), 'caf\xc3\xa9', '=XX');
  t.equal(qp('caf=c3=a9'), 'caf\xc3\xa9', 'lower-case hex is decoded too');
  t.equal(qp('a  \t\r\nb'), 'a\r\nb', 'trailing white space is transport padding');
  t.equal(qp('soft=\r\nbreak'), 'softbreak', 'soft line break');
  t.equal(qp('soft=  \t\r\nbreak'), 'softbreak', 'white space after the "=" of a soft break');
  t.equal(qp('end='), 'end', 'a soft break at the very end');
  t.equal(qp('lf\nonly=\nx'), 'lf\nonlyx', 'bare LF line ends are kept as they are');
  t.equal(qp('=00=3D=\r\n'), '\x00=', 'NUL and "="');
  t.equal(qp('bad=ZZ =4 x=3'), 'bad=ZZ =4 x=3', 'malformed escapes are kept');
  t.equal(qp('a=\r\n=\r\nb\r\n'), 'ab\r\n');
  t.equal(qp(''), '');
});
