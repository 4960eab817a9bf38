/** Streaming rewrites (DATA line ends, POP3 byte-stuffing and TOP) give the same bytes however the input is cut into chunks. */
import t from 'tap';
import { LineEnds, normalizeLineEndings } from './read-message.ts';
import { DotStuffer, TopCutter, dotStuff, topOf } from '../pop3/message-format.ts';

/** The whole-buffer rule: every LF not after CR, every CR not before LF, becomes CRLF. */
function reference(buf: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) out.push(0x0d, 0x0a);
    else if (c === 0x0d && buf[i + 1] !== 0x0a) out.push(0x0d, 0x0a);
    else out.push(c);
  }
  return Buffer.from(out);
}

const samples = ['a\r\nb\nc\rd\r\n', '\n\r\r\n\n', 'x\r', '\r', '', 'plain\r\nlines\r\n', '.a\r\n..b\n.\r\nend'].map((s) => Buffer.from(s, 'latin1'));

t.test('LineEnds: every split point gives the whole-buffer result', async (t) => {
  for (const s of samples) {
    t.same(normalizeLineEndings(s), reference(s), JSON.stringify(s.toString('latin1')));
    for (let cut = 0; cut <= s.length; cut++) {
      const n = new LineEnds();
      const out = Buffer.concat([n.push(s.subarray(0, cut)), n.push(s.subarray(cut)), n.end()]);
      t.same(out, reference(s), `${JSON.stringify(s.toString('latin1'))} cut at ${cut}`);
      t.equal(n.changed, !reference(s).equals(s), 'changed says whether anything was rewritten');
    }
  }
});

t.test('DotStuffer: every split point gives the whole-buffer result', async (t) => {
  for (const s of samples) {
    const whole = dotStuff(s);
    for (let cut = 0; cut <= s.length; cut++) {
      const d = new DotStuffer();
      t.same(Buffer.concat([d.push(s.subarray(0, cut)), d.push(s.subarray(cut)), d.end()]), whole, `${JSON.stringify(s.toString('latin1'))} cut at ${cut}`);
    }
  }
  t.equal(dotStuff(Buffer.from('.a\r\nb')).toString(), '..a\r\nb\r\n.\r\n');
  t.equal(dotStuff(Buffer.alloc(0)).toString(), '.\r\n');
});

t.test('TopCutter: every split point gives topOf', async (t) => {
  const msgs = ['A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n', 'A: 1\nB: 2\n\nbody\nmore\n', 'A: 1\r\nno blank line', '\r\nbody only\r\nx\r\n', 'A: 1\r\n\rX: y\r\n\r\nb1\r\nb2'].map((x) => Buffer.from(x, 'latin1'));
  for (const m of msgs) {
    for (const n of [0, 1, 2, 99]) {
      const want = topOf(m, n);
      for (let cut = 0; cut <= m.length; cut++) {
        const c = new TopCutter(n);
        const a = c.push(m.subarray(0, cut));
        const parts = [a.out];
        if (!a.done) parts.push(c.push(m.subarray(cut)).out);
        t.same(Buffer.concat(parts), want, `${JSON.stringify(m.toString('latin1'))} TOP ${n} cut at ${cut}`);
      }
    }
  }
});
