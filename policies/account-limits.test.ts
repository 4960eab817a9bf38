import t from 'tap';
import { recipientAllowed, withinHours } from './account-limits.ts';

t.test('AC-5 allowed recipients (seed manual 送信先制限)', async (t) => {
  const cases: [string[] | undefined, string, boolean][] = [
    [undefined, 'anyone@anywhere.test', true],
    [[], 'anyone@anywhere.test', true],
    [['user1@domain.co.jp', 'user2@domain.co.jp'], 'user2@domain.co.jp', true],
    [['user1@domain.co.jp', 'user2@domain.co.jp'], 'user3@domain.co.jp', false],
    [['*@domain.co.jp'], 'anyone@DOMAIN.co.jp', true],
    [['*@domain.co.jp'], 'anyone@sub.domain.co.jp', false],
    [['*@domain.co.jp'], 'x@domain.co.jp.evil.test', false],
    [['*@*.domain.co.jp'], 'a@sub.domain.co.jp', true],
    [['a.b@x.test'], 'aXb@x.test', false],
  ];
  for (const [table, rcpt, ok] of cases) t.equal(recipientAllowed(table, rcpt), ok, `${JSON.stringify(table)} ${rcpt}`);
});

t.test('AC-4 usage windows', async (t) => {
  const at = (day: number, hh: number, mm = 0) => new Date(2026, 10, 22 + day, hh, mm); // 2026-11-22 is a Sunday
  const office = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '09:00', to: '18:00' }].map((w) => ({ ...w, days: [...w.days] }));
  t.ok(withinHours(undefined, at(1, 3)));
  t.ok(withinHours(office, at(1, 9)), 'Monday 09:00');
  t.notOk(withinHours(office, at(1, 18)), 'Monday 18:00 is past the end');
  t.notOk(withinHours(office, at(0, 12)), 'Sunday');
  const night = [{ days: ['fri' as const], from: '22:00', to: '06:00' }];
  t.ok(withinHours(night, at(5, 23)), 'Friday 23:00');
  t.ok(withinHours(night, at(6, 5, 59)), 'Saturday 05:59 belongs to Friday night');
  t.notOk(withinHours(night, at(6, 23)), 'Saturday 23:00');
  t.ok(withinHours([{ from: '00:00', to: '00:00' }], at(3, 12)), 'from = to: the whole day');
});
