/**
 * The connection gate with counts shared over the worker bus: two gates (two workers) wired to
 * a relay that plays the supervisor's part (every broadcast to the other, 'gone' on exit).
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { ConnectionGate } from '../net/connection-gate.ts';
import { WorkerBus } from './worker-bus.ts';
import { WorkerCounts } from './shared-counts.ts';
import type { ToSupervisor, ToWorker } from './protocol.ts';

/**
 * `slow`: the relay holds the broadcasts back (a move still on its way when the client
 * reconnects elsewhere) until a sync, which it answers after relaying them, as the supervisor does.
 */
function pair(opts: { slow?: boolean } = {}) {
  const channels = [new EventEmitter(), new EventEmitter()];
  /** What each worker sent the supervisor. */
  const sent: ToSupervisor[][] = [[], []];
  const held: (() => void)[] = [];
  const buses = channels.map((ch, i) => {
    const channel = Object.assign(ch, {
      send: (m: ToSupervisor) => {
        sent[i].push(m);
        if (m.t === 'broadcast') {
          const relay = () => channels[1 - i].emit('message', { t: 'broadcast', items: m.items, from: i + 1 } satisfies ToWorker);
          if (opts.slow) held.push(relay);
          else relay();
        } else if (m.t === 'sync') {
          setImmediate(() => {
            for (const r of held.splice(0)) r();
            ch.emit('message', { t: 'sync-reply', req: m.req } satisfies ToWorker);
          });
        }
        return true;
      },
    });
    return new WorkerBus(channel as never);
  });
  const gates = buses.map((bus) => new ConnectionGate(() => ({ fdReserve: 0 }), Infinity, new WorkerCounts(bus)));
  const gone = (worker: number) => channels[2 - worker].emit('message', { t: 'gone', worker } satisfies ToWorker);
  const told = () => Promise.all(gates.map((g) => g.told()));
  /** Relays what the slow relay holds. */
  const deliver = () => {
    for (const r of held.splice(0)) r();
  };
  return { gates, buses, gone, sent, told, deliver };
}

type Admitted = Exclude<ReturnType<ConnectionGate['admit']>, string>;

t.test('a per-IP limit holds across two workers and frees on release', async (t) => {
  const { gates: [a, b], told } = pair();
  const t1 = a.admit('smtp', '192.0.2.1', 2);
  const t2 = b.admit('smtp', '192.0.2.1', 2);
  t.type(t1, 'object');
  t.type(t2, 'object');
  await told();
  t.equal(a.admit('smtp', '192.0.2.1', 2), 'per-ip', 'worker 1 counts worker 2\'s connection');
  t.equal(b.admit('smtp', '192.0.2.1', 2), 'per-ip', 'and the other way round');
  t.type(b.admit('smtp', '192.0.2.2', 2), 'object', 'another IP is not affected');
  (t2 as Admitted).release();
  await b.told();
  t.type(a.admit('smtp', '192.0.2.1', 2), 'object', 'a place freed on worker 2 is free on worker 1');
});

t.test('logged-in sessions per (user, IP) count across workers', async (t) => {
  const { gates: [a, b], told } = pair();
  const t1 = a.admit('imap', '192.0.2.1', 0) as Admitted;
  const t2 = b.admit('imap', '192.0.2.1', 0) as Admitted;
  t.ok(t1.login('Bob@x.test', 1), 'first login');
  await told();
  t.notOk(t2.login('bob@x.test', 1), 'the second on the other worker is over the limit');
});

t.test('the counts of a worker that is gone are forgotten', async (t) => {
  const { gates: [a, b], gone, told } = pair();
  b.admit('pop3', '192.0.2.9', 1);
  await told();
  t.equal(a.admit('pop3', '192.0.2.9', 1), 'per-ip');
  gone(2);
  t.type(a.admit('pop3', '192.0.2.9', 1), 'object', 'worker 2 died: its connections are gone with it');
});

t.test('a burst of opens and closes in one turn is told once, summed per key', async (t) => {
  const { gates: [a, b], sent } = pair();
  const tickets: Admitted[] = [];
  for (let i = 0; i < 100; i++) tickets.push(b.admit('smtp', '192.0.2.1', 0) as Admitted);
  for (let i = 0; i < 30; i++) tickets.push(b.admit('smtp', '192.0.2.2', 0) as Admitted);
  for (const tk of tickets.slice(0, 60)) tk.release();
  // opened and closed in the same turn: never told
  (b.admit('smtp', '192.0.2.3', 0) as Admitted).release();
  await b.told();
  t.equal(sent[1].length, 1, 'one message for the whole turn');
  const m = sent[1][0] as Extract<ToSupervisor, { t: 'broadcast' }>;
  t.same(m.items, [{ topic: 'counts', data: { moves: [['ip', 'smtp\u{0}192.0.2.1', 40], ['ip', 'smtp\u{0}192.0.2.2', 30]] } }], 'net moves only');
  t.equal(a.admit('smtp', '192.0.2.1', 40), 'per-ip', 'worker 1 sees worker 2\'s 40 connections');
  t.type(a.admit('smtp', '192.0.2.1', 41), 'object', 'and no more');
  for (const tk of tickets.slice(60)) tk.release();
  await b.told();
  t.type(a.admit('smtp', '192.0.2.2', 1), 'object', 'all released: nothing counted for worker 2');
  t.type(a.admit('smtp', '192.0.2.1', 3), 'object');
});

t.test('told() resolves only once the release is on the channel', async (t) => {
  const { gates: [a, b], sent } = pair();
  const tk = b.admit('smtp', '192.0.2.1', 1) as Admitted;
  await b.told();
  t.equal(a.admit('smtp', '192.0.2.1', 1), 'per-ip');
  const before = sent[1].length;
  tk.release();
  t.equal(sent[1].length, before, 'the release waits for the end of the turn');
  await b.told();
  t.equal(sent[1].length, before + 1, 'and is sent before told() resolves');
  t.type(a.admit('smtp', '192.0.2.1', 1), 'object', 'the other worker has the place free');
});

t.test('a request after a broadcast in the same turn goes after it', async (t) => {
  const { gates: [, b], buses: [, bus], sent } = pair();
  b.admit('smtp', '192.0.2.1', 0);
  void bus.lock('pop3:1', 'try');
  t.same(sent[1].map((m) => m.t), ['broadcast', 'lock'], 'the turn\'s broadcasts are flushed first');
  await b.told();
  t.equal(sent[1].length, 2, 'nothing left to send');
});

t.test('a refusal waits for the other workers\' moves on their way: a place freed there is found free', async (t) => {
  const { gates: [a, b], sent, deliver } = pair({ slow: true });
  const tk = a.admit('smtp', '192.0.2.1', 1) as Admitted;
  await a.told();
  deliver();
  t.equal(b.admit('smtp', '192.0.2.1', 1), 'per-ip', 'worker 2 counts worker 1\'s connection');
  tk.release();
  await a.told();
  // the release is on its way (held): worker 2 still counts the connection
  t.equal(b.admit('smtp', '192.0.2.1', 1), 'per-ip', 'a plain admit refuses on the stale count');
  const settled = b.admitSettled('smtp', '192.0.2.1', 1);
  t.type(settled, Promise, 'admitSettled waits for a sync before it refuses');
  t.type(await settled, 'object', 'and finds the place freed on worker 1 free');
  t.equal(sent[1].filter((m) => m.t === 'sync').length, 1, 'one sync');
  t.type(b.admitSettled('smtp', '192.0.2.2', 1), 'object', 'under the limit: answered at once, no sync');
  t.equal(sent[1].filter((m) => m.t === 'sync').length, 1);
});

t.test('refusals that come together share the syncs: at most one under way and one next', async (t) => {
  const { gates: [a, b], sent, deliver } = pair({ slow: true });
  a.admit('smtp', '192.0.2.1', 1);
  await a.told();
  deliver();
  const all = await Promise.all(Array.from({ length: 50 }, () => b.admitSettled('smtp', '192.0.2.1', 1)));
  t.same([...new Set(all)], ['per-ip'], 'all 50 refused');
  t.equal(sent[1].filter((m) => m.t === 'sync').length, 2, '50 refusals in one turn: two syncs');
});

t.test('a login over the (user, IP) limit waits for the sync too', async (t) => {
  const { gates: [a, b], deliver } = pair({ slow: true });
  const t1 = a.admit('imap', '192.0.2.1', 0) as Admitted;
  const t2 = b.admit('imap', '192.0.2.1', 0) as Admitted;
  t.ok(t1.login('bob@x.test', 1));
  await a.told();
  deliver();
  t.notOk(await t2.loginSettled('bob@x.test', 1), 'refused: worker 1 has the session');
  t1.release();
  await a.told();
  t.notOk(t2.login('bob@x.test', 1), 'a plain login refuses on the stale count');
  t.ok(await t2.loginSettled('bob@x.test', 1), 'loginSettled hears the logout first and accepts');
});
