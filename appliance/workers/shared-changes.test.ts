/** Mailbox changes across two workers: every change reaches the other worker, each once per turn. */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { WorkerBus } from './worker-bus.ts';
import { WorkerChangeNotifier } from './shared-changes.ts';
import type { ToSupervisor, ToWorker } from './protocol.ts';

function pair() {
  const channels = [new EventEmitter(), new EventEmitter()];
  const sent: ToSupervisor[][] = [[], []];
  const buses = channels.map((ch, i) => new WorkerBus(Object.assign(ch, {
    send: (m: ToSupervisor) => {
      sent[i].push(m);
      if (m.t === 'broadcast') channels[1 - i].emit('message', { t: 'broadcast', items: m.items, from: i + 1 } satisfies ToWorker);
      return true;
    },
  }) as never));
  return { notifiers: buses.map((bus) => new WorkerChangeNotifier(bus)), buses, sent };
}

t.test('the changes of a turn reach the other worker once each, in one message', async (t) => {
  const { notifiers: [a, b], buses: [busA], sent } = pair();
  const seen: string[] = [];
  const all = new Promise<void>((resolve) => b.subscribe(7, (c) => {
    seen.push(`${c.accountId}:${c.mailboxId}`);
    if (seen.length === 2) resolve();
  }));
  const local: string[] = [];
  a.subscribe(7, (c) => local.push(`${c.accountId}:${c.mailboxId}`));
  for (let i = 0; i < 5; i++) a.publish({ accountId: 7, mailboxId: 1 });
  a.publish({ accountId: 7, mailboxId: 2 });
  await busA.flushed();
  await all;
  t.equal(sent[0].length, 1, 'one IPC message');
  t.same(seen.sort(), ['7:1', '7:2'], 'each changed mailbox once on the other worker');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(local.length, 6, 'every change published in this worker, as before');
});
