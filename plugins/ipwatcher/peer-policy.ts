/**
 * The seed's IP Watcher decision without a shared database (pure, so it is tested as a table):
 * every interval a node that does not hold the virtual IP "pings" it; when nobody answers, the
 * master takes it at the first miss and a slave at the second (so a master and a slave that
 * start together do not both take it). A slave that holds the IP gives it back after
 * `releaseCycle` intervals when a peer is healthy (the seed's Balance=1 / ReleaseTime), then
 * stays away for two intervals so the master can take it.
 */
export type WatchRole = 'master' | 'slave';

export interface PeerState {
  holding: boolean;
  /** Consecutive intervals the VIP did not answer. */
  misses: number;
  /** Intervals held so far. */
  held: number;
  /** Intervals to wait before taking the VIP again after giving it back. */
  cooldown: number;
}

export const initialPeerState = (): PeerState => ({ holding: false, misses: 0, held: 0, cooldown: 0 });

export interface PeerObservation {
  /** Did the VIP answer (asked only when not holding)? */
  vipAnswers?: boolean;
  /** Did any peer answer (asked only when a slave's release cycle is due)? */
  peerHealthy?: boolean;
}

export type PeerAction = 'take' | 'release' | 'none';

/** What to observe this interval. */
export function peerNeeds(s: PeerState, o: { role: WatchRole; releaseCycle: number }): { vip: boolean; peers: boolean } {
  if (s.holding) return { vip: false, peers: o.role === 'slave' && o.releaseCycle > 0 && s.held + 1 >= o.releaseCycle };
  return { vip: s.cooldown === 0, peers: false };
}

export function peerStep(s: PeerState, obs: PeerObservation, o: { role: WatchRole; releaseCycle: number }): { state: PeerState; action: PeerAction } {
  if (s.holding) {
    const held = s.held + 1;
    if (o.role === 'slave' && o.releaseCycle > 0 && held >= o.releaseCycle && obs.peerHealthy) {
      return { state: { holding: false, misses: 0, held: 0, cooldown: 2 }, action: 'release' };
    }
    return { state: { ...s, held }, action: 'none' };
  }
  if (s.cooldown > 0) return { state: { ...s, cooldown: s.cooldown - 1 }, action: 'none' };
  if (obs.vipAnswers) return { state: { ...s, misses: 0 }, action: 'none' };
  const misses = s.misses + 1;
  if (misses >= (o.role === 'master' ? 1 : 2)) return { state: { holding: true, misses: 0, held: 0, cooldown: 0 }, action: 'take' };
  return { state: { ...s, misses }, action: 'none' };
}
