import t from 'tap';
import { LineReader } from './line-reader.ts';

const reader = () => new LineReader({ maxLineOctets: 10, maxDiscardOctets: 100 });
const push = (r: LineReader, s: string) => r.push(Buffer.from(s));

t.test('CRLF, bare LF, and lines split across chunks', async (t) => {
  const r = reader();
  t.strictSame(push(r, 'STAT\r\nLIST\nRE'), [{ kind: 'line', line: 'STAT' }, { kind: 'line', line: 'LIST' }]);
  t.strictSame(push(r, 'TR 1\r'), []);
  t.strictSame(push(r, '\n'), [{ kind: 'line', line: 'RETR 1' }]);
  t.strictSame(push(r, '\r\n'), [{ kind: 'line', line: '' }]);
});

t.test('the limit counts octets without the line end', async (t) => {
  const r = reader();
  t.strictSame(push(r, '0123456789\r\n'), [{ kind: 'line', line: '0123456789' }]);
  t.strictSame(push(r, '01234567890\r\n'), [{ kind: 'overlong', octets: 12 }]);
  t.strictSame(push(r, '0123456789'), []);
  t.strictSame(push(r, '\r\n'), [{ kind: 'line', line: '0123456789' }], 'a CR waiting for its LF is not counted');
});

t.test('an overlong line is dropped as it arrives, reported once at its end', async (t) => {
  const r = reader();
  t.strictSame(push(r, 'x'.repeat(50)), []);
  t.strictSame(push(r, 'x'.repeat(40)), []);
  t.strictSame(push(r, 'x\r\nNOOP\r\n'), [{ kind: 'overlong', octets: 92 }, { kind: 'line', line: 'NOOP' }]);
});

t.test('an unterminated run past maxDiscardOctets is a flood', async (t) => {
  const r = reader();
  t.strictSame(push(r, 'y'.repeat(100)), []);
  t.strictSame(push(r, 'y'.repeat(20)), [{ kind: 'flood', octets: 120 }]);
});

t.test('clear drops what was not yet returned (STLS)', async (t) => {
  const r = reader();
  t.strictSame(push(r, 'STLS\r\nUSER a'), [{ kind: 'line', line: 'STLS' }]);
  t.equal(r.clear(), 6);
  t.strictSame(push(r, 'CAPA\r\n'), [{ kind: 'line', line: 'CAPA' }]);
});
