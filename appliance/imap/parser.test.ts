import t from 'tap';
import { parseCommand, ParseError } from './parser.ts';
import { CommandReader, type ReaderEvent } from './reader.ts';
import { decodeMailboxName, encodeMailboxName, parseDate, parseDateTime } from './wire.ts';
import { compactSet, parseSequenceSet } from './mailbox/sequence.ts';
import { baseSubject } from './search/base-subject.ts';
import { parseMime, partAt } from './message/mime.ts';
import { binaryBytes, binaryLiteral, UnknownCte } from './message/binary.ts';

t.test('parseCommand: atoms, quoted strings, literals, lists, sections', async (t) => {
  const c = parseCommand(Buffer.from('A1 fetch 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (A B)]<0.10>) "q \\" \\\\" {3}\r\nabc'));
  t.equal(c.tag, 'A1');
  t.equal(c.verb, 'FETCH');
  t.same(c.args[0], { t: 'atom', v: '1:*' });
  t.equal(c.args[1].t, 'list');
  t.same((c.args[1] as { v: unknown[] }).v[1], { t: 'atom', v: 'BODY.PEEK[HEADER.FIELDS (A B)]<0.10>' });
  t.equal((c.args[2] as { v: Buffer }).v.toString(), 'q " \\');
  t.equal((c.args[3] as { v: Buffer }).v.toString(), 'abc');
  for (const bad of ['+ NOOP', 'A1', 'A1 (', 'A1 LOGIN "x', 'A1 LOGIN {5}\r\nab', 'A1 LOGIN  x']) {
    let err: unknown = null;
    try {
      parseCommand(Buffer.from(bad));
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ParseError, bad);
  }
});

t.test('CommandReader: lines, literals with continuation, LITERAL+, limits', async (t) => {
  let continued = 0;
  const r = new CommandReader({ maxLineOctets: 100, maxLiteralOctets: 50 }, () => continued++);
  const evs: ReaderEvent[] = [];
  evs.push(...r.push(Buffer.from('a NOOP\r\nb LOGIN {3}\r\n')));
  t.equal(continued, 1);
  evs.push(...r.push(Buffer.from('bob {2+}\r\npw\r\n')));
  t.same(evs.map((e) => (e.kind === 'command' ? e.data.toString() : e.kind)), ['a NOOP', 'b LOGIN {3}\r\nbob {2+}\r\npw']);
  t.equal(continued, 1, 'no continuation for LITERAL+');
  t.same(r.push(Buffer.from('c APPEND x {999}\r\n')), [{ kind: 'refused', tag: 'c', size: 999 }]);
  t.same(r.push(Buffer.from('d APPEND x {999+}\r\n')), [{ kind: 'fatal', reason: 'literal' }]);
  const r2 = new CommandReader({ maxLineOctets: 10, maxLiteralOctets: 50 }, () => undefined);
  t.same(r2.push(Buffer.from('x'.repeat(20))), [{ kind: 'fatal', reason: 'line' }]);
});

t.test('modified UTF-7 mailbox names (RFC 3501 §5.1.3)', async (t) => {
  for (const [name, wire] of [['日本語', '&ZeVnLIqe-'], ['a&b', 'a&-b'], ['Entwürfe', 'Entw&APw-rfe'], ['INBOX', 'INBOX']]) {
    t.equal(encodeMailboxName(name), wire);
    t.equal(decodeMailboxName(wire), name);
  }
  t.equal(decodeMailboxName('bad&Zx'), null);
});

t.test('sequence sets, dates, base subjects', async (t) => {
  t.same(parseSequenceSet('1:3,5,*:7'), [[1, 3], [5, 5], [7, Infinity]]);
  for (const bad of ['0', '1:', 'a', '1,,2', '']) t.equal(parseSequenceSet(bad), null, bad);
  t.equal(compactSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
  t.equal(parseDateTime('17-Jul-1996 02:44:25 -0700')?.toISOString(), '1996-07-17T09:44:25.000Z');
  t.equal(parseDateTime('17-Foo-1996 02:44:25 -0700'), null);
  // no rolling over into the next day or month (APPEND's date-time, RFC 3501 §9 date-day-fixed)
  for (const bad of ['32-Jan-2026 00:00:00 +0000', '29-Feb-2026 00:00:00 +0000', '31-Apr-2026 00:00:00 +0000', '0-Jan-2026 00:00:00 +0000',
    '01-Jan-2026 24:00:00 +0000', '01-Jan-2026 00:60:00 +0000', '01-Jan-2026 00:00:61 +0000', '01-Jan-2026 00:00:00 +0060']) {
    t.equal(parseDateTime(bad), null, bad);
  }
  t.equal(parseDateTime('29-Feb-2024 23:59:59 +0000')?.toISOString(), '2024-02-29T23:59:59.000Z', 'a leap day');
  t.equal(parseDate('31-Apr-2026'), null, 'SEARCH BEFORE 31-Apr-2026 is malformed');
  t.equal(parseDate('30-Apr-2026')?.toISOString(), '2026-04-30T00:00:00.000Z');
  t.equal(baseSubject('Re: [list] Fwd: hello (fwd)'), 'HELLO');
  t.equal(baseSubject('[Fwd: Re: x]'), 'X');
  t.equal(baseSubject('=?UTF-8?B?UmU6IOOBguOBhA==?='), 'あい');
});

t.test('"[" is an atom char outside BODY[...] / BINARY[...] sections', async (t) => {
  t.same(parseCommand(Buffer.from("a SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}")).args[0], { t: 'atom', v: "!#$&'+,-.0123456789:;<=>?@^_`|[}" });
  t.same(parseCommand(Buffer.from('a LIST "" [}%* x')).args.map((a) => (a as { v: unknown }).v), [Buffer.from(''), '[}%*', 'x']);
  t.same(parseCommand(Buffer.from('a FETCH 1 body.peek[HEADER.FIELDS (A B)]<0.5>')).args[1], { t: 'atom', v: 'body.peek[HEADER.FIELDS (A B)]<0.5>' });
  t.throws(() => parseCommand(Buffer.from('a FETCH 1 BODY[TEXT')), { message: 'Missing ]' }, 'an unclosed section is still an error');
});

t.test('MIME tree: offsets of parts, message/rfc822, part numbers', async (t) => {
  const raw = Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n--b--\r\n');
  const root = parseMime(raw);
  t.equal(root.children.length, 2);
  const one = partAt(root, [1])!;
  t.equal(raw.subarray(one.bodyStart, one.end).toString(), 'one');
  const inner = partAt(root, [2])!;
  t.equal(inner.message?.headers[0].value, 'in');
  t.equal(raw.subarray(partAt(root, [2, 1])!.bodyStart, partAt(root, [2, 1])!.end).toString(), 'inner');
  t.equal(partAt(root, [3]), null);
  // a message that is message/rfc822 itself: 1 is its body (the forwarded message), 1.1 that one's body
  const fwd = Buffer.from('Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner');
  const top = parseMime(fwd);
  t.equal(partAt(top, [1]), top, 'part 1 of a non-multipart message is its body');
  t.equal(partAt(top, [1, 1]), top.message);
  t.equal(partAt(top, [1, 2]), null);
  t.equal(partAt(top, [2]), null);
  t.equal(partAt(root, [1, 1]), null, 'a text part has no parts');
});

t.test('literal8 (RFC 3516): ~{n} with NULs is a binary string; BINARY decoding of parts', async (t) => {
  const c = parseCommand(Buffer.from('A1 APPEND INBOX ~{3}\r\n\x00a\x00 ~{1+}\r\nb'));
  t.same(c.args[1], { t: 'string', v: Buffer.from('\x00a\x00'), literal: true, binary: true });
  t.equal((c.args[2] as { binary?: boolean }).binary, true);
  t.same(parseCommand(Buffer.from('A1 X ~abc')).args[0], { t: 'atom', v: '~abc' }, 'a ~ not before { is an atom char');
  const msg = Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAE=\r\n--b\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\na=3Db=\r\nc\r\n--b\r\nContent-Transfer-Encoding: x-foo\r\n\r\nz\r\n--b--\r\n');
  const root = parseMime(msg);
  t.same(binaryBytes(msg, root, [1]), Buffer.from([0, 1]));
  t.equal(binaryBytes(msg, root, [2]).toString(), 'a=bc');
  let err: unknown = null;
  try {
    binaryBytes(msg, root, [3]);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof UnknownCte, 'an unknown encoding is UNKNOWN-CTE');
  t.equal(binaryBytes(msg, root, [9]).length, 0, 'a missing part is empty');
  t.equal(binaryLiteral(Buffer.from([0])).toString('latin1'), '~{1}\r\n\x00');
  t.equal(binaryLiteral(Buffer.from('x')).toString(), '{1}\r\nx');
});
