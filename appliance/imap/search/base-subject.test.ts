import t from 'tap';
import { extractSubject } from './base-subject.ts';
import { parseSentDate } from '../message/sent-date.ts';

t.test('base subject (RFC 5256 §2.1) and the reply/forward mark', async (t) => {
  const cases: [string | null, string, boolean][] = [
    ['Hello', 'HELLO', false],
    ['Re: hello', 'HELLO', true],
    ['RE : Re:re: hello', 'HELLO', true],
    ['Fw: Fwd: hello', 'HELLO', true],
    ['[list] hello', 'HELLO', false],
    ['[list] Re: hello', 'HELLO', true],
    ['Re [list]: hello', 'HELLO', true],
    ['[a][b] hello', 'HELLO', false],
    ['[only-blob]', '[ONLY-BLOB]', false],
    ['hello (fwd)', 'HELLO', true],
    ['hello (fwd) (FWD)  ', 'HELLO', true],
    ['[fwd: hello]', 'HELLO', true],
    ['Re: [Fwd: Re: hello (fwd)]', 'HELLO', true],
    ['Re:', '', true],
    ['  lots   of\t space  ', 'LOTS OF SPACE', false],
    ['=?UTF-8?Q?Re=3A_h=C3=A9llo?=', 'HÉLLO', true],
    ['Rerun: x', 'RERUN: X', false],
    [null, '', false],
  ];
  for (const [raw, base, reply] of cases) t.same(extractSubject(raw), { base, replyOrForward: reply }, String(raw));
});

t.test('sent date (RFC 5322 §3.3, §4.3)', async (t) => {
  const utc = (s: string | null) => parseSentDate(s)?.time ?? null;
  t.equal(utc('Sat, 01 Feb 2007 01:02:03 +0200'), Date.UTC(2007, 1, 1, 1, 2, 3) - 2 * 3600_000);
  t.equal(utc('Sat, 01 Feb 2007 01:02:03 +0200 (CEST)'), Date.UTC(2007, 1, 1, -1, 2, 3));
  t.equal(utc('1 Feb 07 10:52 EDT'), Date.UTC(2007, 1, 1, 14, 52), 'two-digit year, obs-zone, no seconds');
  t.equal(utc('1 Feb 99 10:52:00 GMT'), Date.UTC(1999, 1, 1, 10, 52));
  t.equal(parseSentDate('Mon, 02 Mar 2026 12:00:00 -0130')?.offset, -90);
  for (const bad of ['not a date 3', 'garbage', '', null, '31 Feb 2026 10:00:00 +0000', '01 Foo 2026 10:00:00 +0000', '01 Feb 2026 25:00:00 +0000']) {
    t.equal(parseSentDate(bad), null, String(bad));
  }
});
