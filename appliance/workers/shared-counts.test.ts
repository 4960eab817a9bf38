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

function pair() {
  const channels = [new EventEmitter(), new EventEmitter()];
  const buses = channels.map((ch, i) => {
    const channel = Object.assign(ch, {
      send: (m: ToSupervisor) => {
        if (m.t === 'broadcast') channels[1 - i].emit('message', { t: 'broadcast', topic: m.topic, data: m.data, from: i + 1 } satisfies ToWorker);
        return true;
      },
    });
    return new WorkerBus(channel as never);
  });
  const gates = buses.map((bus) => new ConnectionGate(() => ({ fdReserve: 0 }), Infinity, new WorkerCounts(bus)));
  const gone = (worker: number) => channels[2 - worker].emit('message', { t: 'gone', worker } satisfies ToWorker);
  return { gates, gone };
}

t.test('a per-IP limit holds across two workers and frees on release', async (t) => {
  const { gates: [a, b] } = pair();
  const t1 = a.admit('smtp', '192.0.2.1', 2);
  const t2 = b.admit('smtp', '192.0.2.1', 2);
  t.type(t1, 'object');
  t.type(t2, 'object');
  t.equal(a.admit('smtp', '192.0.2.1', 2), 'per-ip', 'worker 1 counts worker 2\'s connection');
  t.equal(b.admit('smtp', '192.0.2.1', 2), 'per-ip', 'and the other way round');
  t.type(b.admit('smtp', '192.0.2.2', 2), 'object', 'another IP is not affected');
  (t2 as Exclude<typeof t2, string>).release();
  t.type(a.admit('smtp', '192.0.2.1', 2), 'object', 'a place freed on worker 2 is free on worker 1');
});

t.test('logged-in sessions per (user, IP) count across workers', async (t) => {
  const { gates: [a, b] } = pair();
  const t1 = a.admit('imap', '192.0.2.1', 0) as Exclude<ReturnType<ConnectionGate['admit']>, string>;
  const t2 = b.admit('imap', '192.0.2.1', 0) as Exclude<ReturnType<ConnectionGate['admit']>, string>;
  t.ok(t1.login('Bob@x.test', 1), 'first login');
  t.notOk(t2.login('bob@x.test', 1), 'the second on the other worker is over the limit');
});

t.test('the counts of a worker that is gone are forgotten', async (t) => {
  const { gates: [a, b], gone } = pair();
  b.admit('pop3', '192.0.2.9', 1);
  t.equal(a.admit('pop3', '192.0.2.9', 1), 'per-ip');
  gone(2);
  t.type(a.admit('pop3', '192.0.2.9', 1), 'object', 'worker 2 died: its connections are gone with it');
});
