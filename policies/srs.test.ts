import t from 'tap';
import { isSrs, srsDecode, srsEncode } from './srs.ts';

const now = new Date('2026-11-28T00:00:00Z');
t.test('round trip, case-insensitive, forged and expired addresses refused', async (t) => {
  const srs = srsEncode('Alice.Smith@Sender.test', 'example.test', 'secret', now);
  t.match(srs, /^SRS0=[^=]{4}=[A-Z2-7]{2}=Sender\.test=Alice\.Smith@example\.test$/);
  t.ok(isSrs(srs));
  t.equal(srsDecode(srs, 'secret', { now }), 'Alice.Smith@Sender.test');
  t.equal(srsDecode(srs.toLowerCase(), 'secret', { now }), 'alice.smith@sender.test', 'a hop that lower-cases it');
  t.equal(srsDecode(srs, 'other secret', { now }), null, 'another secret');
  t.equal(srsDecode(srs.replace('Alice.Smith', 'mallory'), 'secret', { now }), null, 'changed address');
  t.equal(srsDecode(srs, 'secret', { now: new Date(now.getTime() + 20 * 86400_000) }), 'Alice.Smith@Sender.test', '20 days later');
  t.equal(srsDecode(srs, 'secret', { now: new Date(now.getTime() + 22 * 86400_000) }), null, 'expired after 21 days');
  t.equal(srsDecode('plain@example.test', 'secret'), null);
  t.notOk(isSrs('srs@example.test'));
});
