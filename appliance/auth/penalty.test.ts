/** What the failed-login penalty tells the other workers (`share`): failures, and only the successes that clear one. */
import t from 'tap';
import { AuthPenalty } from './penalty.ts';

const settings = () => ({ initialDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000, maxEntries: 10 });

t.test('a success is told only when it clears a penalty', async (t) => {
  const told: string[] = [];
  const p = new AuthPenalty(settings);
  p.share = (outcome, ip, login) => told.push(`${outcome} ${ip} ${login}`);
  p.succeed('192.0.2.1', 'alice');
  t.same(told, [], 'a login with no penalty anywhere: nothing to tell');
  p.fail('192.0.2.1', 'alice');
  t.equal(p.delayMs('192.0.2.1', 'alice'), 100);
  p.succeed('192.0.2.1', 'Alice');
  t.same(told, ['fail 192.0.2.1 alice', 'succeed 192.0.2.1 Alice'], 'the failure and the success that clears it');
  t.equal(p.delayMs('192.0.2.1', 'alice'), 0);
  p.fail('192.0.2.2', 'bob', true);
  p.succeed('192.0.2.2', 'bob', true);
  t.equal(told.length, 2, 'outcomes heard from another worker are not told again');
});
