/**
 * Mailbox changes across two workers: every change reaches the other worker that listens to its
 * account, each once per turn, and no message goes where nobody listens.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { WorkerBus } from './worker-bus.ts';
import { WorkerChangeNotifier } from './shared-changes.ts';
import type { ToSupervisor, ToWorker } from './protocol.ts';

/** Worker i's bus, its broadcasts relayed to the other channel as the supervisor would, and kept in `sent`. */
function busOf(channels: EventEmitter[], i: number, sent: ToSupervisor[] = []): WorkerBus {
  return new WorkerBus(Object.assign(channels[i], {
    send: (m: ToSupervisor) => {
      sent.push(m);
      if (m.t === 'broadcast') channels[1 - i].emit('message', { t: 'broadcast', items: m.items, from: i + 1 } satisfies ToWorker);
      return true;
    },
  }) as never);
}

function pair() {
  const channels = [new EventEmitter(), new EventEmitter()];
  const sent: ToSupervisor[][] = [[], []];
  const buses = [busOf(channels, 0, sent[0]), busOf(channels, 1, sent[1])];
  return { notifiers: buses.map((bus) => new WorkerChangeNotifier(bus)), buses, sent };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const changeMessages = (sent: ToSupervisor[]) => sent.filter((m) => m.t === 'broadcast' && m.items.some((i) => i.topic === 'change')).length;

t.test('the changes of a turn reach the other worker once each, in one message', async (t) => {
  const { notifiers: [a, b], buses: [busA, busB], sent } = pair();
  const seen: string[] = [];
  const all = new Promise<void>((resolve) => b.subscribe(7, (c) => {
    seen.push(`${c.accountId}:${c.mailboxId}`);
    if (seen.length === 2) resolve();
  }));
  await busB.flushed(); // worker a hears that b listens to account 7
  await busA.flushed();
  sent[0].length = 0;
  const local: string[] = [];
  a.subscribe(7, (c) => local.push(`${c.accountId}:${c.mailboxId}`));
  for (let i = 0; i < 5; i++) a.publish({ accountId: 7, mailboxId: 1 });
  a.publish({ accountId: 7, mailboxId: 2 });
  await busA.flushed();
  await all;
  t.equal(sent[0].length, 1, 'one IPC message');
  t.same(seen.sort(), ['7:1', '7:2'], 'each changed mailbox once on the other worker');
  await turn();
  t.equal(local.length, 6, 'every change published in this worker, as before');
});

t.test('a change of an account no other worker listens to is told to no one', async (t) => {
  const { notifiers: [a, b], buses: [busA, busB], sent } = pair();
  const local: number[] = [];
  a.subscribe(8, (c) => local.push(c.mailboxId));
  a.publish({ accountId: 8, mailboxId: 1 });
  await busA.flushed();
  await turn();
  t.equal(changeMessages(sent[0]), 0, 'no change message while only this worker listens');
  t.same(local, [1], 'the local session still hears it');
  const heard: number[] = [];
  const stop = b.subscribe(8, (c) => heard.push(c.mailboxId));
  await busB.flushed();
  a.publish({ accountId: 8, mailboxId: 2 });
  await busA.flushed();
  await turn();
  t.same(heard, [2], 'once the other worker listens, it hears the change');
  stop();
  await busB.flushed();
  a.publish({ accountId: 8, mailboxId: 3 });
  await busA.flushed();
  await turn();
  t.same(heard, [2], 'and not after its session stopped listening');
  t.equal(changeMessages(sent[0]), 1, 'one change message in all');
});

t.test('a worker that starts asks what the others listen to', async (t) => {
  const channels = [new EventEmitter(), new EventEmitter()];
  const busA = busOf(channels, 0);
  const a = new WorkerChangeNotifier(busA);
  const heard: number[] = [];
  a.subscribe(9, (c) => heard.push(c.mailboxId));
  await busA.flushed();
  // worker b (re)starts after a's session began listening: a's set reaches it only by the query
  const busB = busOf(channels, 1);
  const b = new WorkerChangeNotifier(busB);
  await busB.flushed();
  await busA.flushed();
  await turn();
  b.publish({ accountId: 9, mailboxId: 4 });
  await busB.flushed();
  await turn();
  t.same(heard, [4], 'the new worker tells the old one of a change it listens to');
});

t.test('a mailbox told once a turn carries the highest MODSEQ of its changes, or none if one had none', async (t) => {
  const { notifiers: [a, b], buses: [busA, busB] } = pair();
  const seen = new Map<number, number | undefined>();
  const both = new Promise<void>((resolve) => b.subscribe(9, (c) => {
    seen.set(c.mailboxId, c.modseq);
    if (seen.size === 2) resolve();
  }));
  await busB.flushed();
  await busA.flushed();
  a.publish({ accountId: 9, mailboxId: 1, modseq: 12 });
  a.publish({ accountId: 9, mailboxId: 1, modseq: 14 });
  a.publish({ accountId: 9, mailboxId: 1, modseq: 13 });
  a.publish({ accountId: 9, mailboxId: 2, modseq: 5 });
  a.publish({ accountId: 9, mailboxId: 2 });
  await busA.flushed();
  await both;
  t.equal(seen.get(1), 14, 'the highest MODSEQ of mailbox 1');
  t.equal(seen.get(2), undefined, 'mailbox 2 had a change without a MODSEQ: none told (a full re-read)');
});
