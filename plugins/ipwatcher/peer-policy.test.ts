/** The seed's IP Watcher decision (peer-policy.ts) as a table: who takes, who gives back, when. */
import t from 'tap';
import { initialPeerState, peerNeeds, peerStep, type PeerObservation, type PeerState, type WatchRole } from './peer-policy.ts';

function runSteps(role: WatchRole, releaseCycle: number, observations: PeerObservation[], start: PeerState = initialPeerState()) {
  let s = start;
  const actions: string[] = [];
  for (const obs of observations) {
    const r = peerStep(s, obs, { role, releaseCycle });
    s = r.state;
    actions.push(r.action);
  }
  return { actions, state: s };
}

t.test('a master takes the VIP at the first miss, a slave at the second', async (t) => {
  t.same(runSteps('master', 0, [{ vipAnswers: false }]).actions, ['take']);
  t.same(runSteps('slave', 0, [{ vipAnswers: false }, { vipAnswers: false }]).actions, ['none', 'take']);
  t.same(runSteps('slave', 0, [{ vipAnswers: false }, { vipAnswers: true }, { vipAnswers: false }]).actions, ['none', 'none', 'none'], 'an answer in between resets the count');
});

t.test('nobody takes a VIP that answers', async (t) => {
  t.same(runSteps('master', 0, [{ vipAnswers: true }, { vipAnswers: true }]).actions, ['none', 'none']);
});

t.test('a slave gives the VIP back after the release cycle, only to a healthy peer, then waits', async (t) => {
  const holding = { holding: true, misses: 0, held: 0, cooldown: 0 };
  t.same(runSteps('slave', 3, [{}, {}, { peerHealthy: false }, { peerHealthy: true }], holding).actions, ['none', 'none', 'none', 'release']);
  const after = runSteps('slave', 3, [{}, {}, { peerHealthy: true }], holding).state;
  t.same(after, { holding: false, misses: 0, held: 0, cooldown: 2 });
  t.same(runSteps('slave', 3, [{ vipAnswers: false }, { vipAnswers: false }, { vipAnswers: false }, { vipAnswers: false }], after).actions,
    ['none', 'none', 'none', 'take'], 'two intervals of cool-down, then the usual two misses');
  t.same(runSteps('master', 3, [{}, {}, {}, {}], holding).actions, ['none', 'none', 'none', 'none'], 'a master keeps it');
  t.same(runSteps('slave', 0, Array(100).fill({}), holding).actions.filter((a) => a !== 'none'), [], 'release cycle 0: never');
});

t.test('what is observed', async (t) => {
  t.same(peerNeeds(initialPeerState(), { role: 'slave', releaseCycle: 3 }), { vip: true, peers: false });
  t.same(peerNeeds({ holding: false, misses: 0, held: 0, cooldown: 1 }, { role: 'slave', releaseCycle: 3 }), { vip: false, peers: false });
  t.same(peerNeeds({ holding: true, misses: 0, held: 2, cooldown: 0 }, { role: 'slave', releaseCycle: 3 }), { vip: false, peers: true });
  t.same(peerNeeds({ holding: true, misses: 0, held: 2, cooldown: 0 }, { role: 'master', releaseCycle: 3 }), { vip: false, peers: false });
});
