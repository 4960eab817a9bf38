/** The DATA scanner: the same verdict whatever the chunking, each limit, nested structure. */
import t from 'tap';
import { MessageLimitScanner } from './message-limits.ts';
import { DEFAULT_MESSAGE_LIMITS } from '../../core/config/message.ts';

function scan(message: string, chunk = 1 << 16, limits = {}) {
  const s = new MessageLimitScanner({ ...DEFAULT_MESSAGE_LIMITS, ...limits });
  const buf = Buffer.from(message, 'latin1');
  for (let i = 0; i < buf.length; i += chunk) s.push(buf.subarray(i, i + chunk));
  return s.end()?.limit ?? null;
}

const nested = (depth: number) => {
  let m = 'From: a\r\n';
  for (let i = 0; i < depth; i++) m += `Content-Type: multipart/mixed;\r\n boundary="b${i}"\r\n\r\npreamble\r\n--b${i}\r\n`;
  return m + '\r\ntext\r\n';
};
const parts = (n: number) => `Content-Type: multipart/mixed; boundary=x\r\n\r\n${'--x\r\n\r\n'.repeat(n)}--x--\r\n`;

t.test('verdicts do not depend on chunking', async (t) => {
  const cases: [string, string | null][] = [
    [`X: ${'a'.repeat(200)}\r\n${' b\r\n'.repeat(30_000)}\r\nbody`, 'maxHeaderSize'],
    ['X: y\r\n'.repeat(1001) + '\r\n', 'maxHeaderCount'],
    ['X: y\r\n'.repeat(1000) + '\r\n', null],
    [parts(10_000), 'maxMimeParts'],
    [parts(9_998), null],
    [nested(101), 'maxMimeDepth'],
    [nested(100), null],
  ];
  for (const [m, expected] of cases) for (const chunk of [1, 7, 4096, 1 << 20]) {
    if (chunk === 1 && m.length > 200_000) continue;
    t.equal(scan(m, chunk), expected, `${expected ?? 'within limits'} in chunks of ${chunk}`);
  }
});

t.test('a boundary closes inner levels; text after a close is not a part', async (t) => {
  const m = 'Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--a\r\n\r\ny\r\n--a--\r\n--a\r\n--c\r\n--a\r\n';
  t.equal(scan(m, 5, { maxMimeParts: 4 }), null, 'root, a.1, c.1, a.2: four parts');
  t.equal(scan(m, 5, { maxMimeParts: 3 }), 'maxMimeParts');
});

t.test('message/rfc822 counts as a level and a part', async (t) => {
  let m = '';
  for (let i = 0; i < 5; i++) m += 'Content-Type: message/rfc822\r\n\r\n';
  m += 'Subject: inner\r\n\r\nbody\r\n';
  t.equal(scan(m, 3, { maxMimeDepth: 5 }), null);
  t.equal(scan(m, 3, { maxMimeDepth: 4 }), 'maxMimeDepth');
});

t.test('a header section without an empty line still counts as header', async (t) => {
  t.equal(scan(`no colon here\r\n${'X: yyyyyyyyyy\r\n'.repeat(80_000)}`), 'maxHeaderCount');
  t.equal(scan(`${('X: ' + 'y'.repeat(5000) + '\r\n').repeat(300)}\r\n`), 'maxHeaderSectionSize');
});
