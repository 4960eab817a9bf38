/**
 * The seed manual's five verdict matrices (中継の制限 ① Ⅰ–Ⅴ), cell for cell, as data shared
 * by the unit tests of the pure policy and the wire tests over real SMTP. Rows are the sender,
 * columns the recipient, each in the order {local with account, local without account,
 * external}; `o` = accepted, `x` = refused. Every matrix is for `192.168.0.* <action>`.
 */
import type { AddressClass, EffectAction } from './effect-rules.ts';

export const CLASSES: readonly AddressClass[] = ['local', 'local-unknown', 'external'];
type Row = readonly ['o' | 'x', 'o' | 'x', 'o' | 'x'];
export type Matrix = readonly [Row, Row, Row];

const RL1: Matrix = [['o', 'x', 'o'], ['x', 'x', 'x'], ['o', 'x', 'x']];

export interface SeedMatrix {
  id: string;
  /** The rule under test, or none (RL-1 without rules). */
  action: EffectAction | null;
  /** Verdicts for a client inside 192.168.0.* and for one elsewhere. */
  inside: Matrix;
  elsewhere: Matrix;
}

export const SEED_MATRICES: readonly SeedMatrix[] = [
  { id: 'RL-1 (no rules)', action: null, inside: RL1, elsewhere: RL1 },
  { id: 'RL-1 (default)', action: 'default', inside: RL1, elsewhere: RL1 },
  { id: 'RL-2 (true)', action: 'true', inside: [['o', 'x', 'o'], ['o', 'x', 'o'], ['o', 'x', 'o']], elsewhere: RL1 },
  { id: 'RL-3 (false)', action: 'false', inside: [['x', 'x', 'x'], ['x', 'x', 'x'], ['x', 'x', 'x']], elsewhere: RL1 },
  { id: 'RL-4 (norelay)', action: 'norelay', inside: [['o', 'x', 'x'], ['x', 'x', 'x'], ['o', 'x', 'x']], elsewhere: RL1 },
  { id: 'RL-5 (only)', action: 'only', inside: RL1, elsewhere: [['x', 'x', 'x'], ['x', 'x', 'x'], ['o', 'x', 'x']] },
];

/**
 * The secure default (relay-effect `localSenderRelay: false`) changes exactly one kind of
 * cell: local sender → external recipient from a client no IP rule names. Returns the
 * matrix an unauthenticated client sees then.
 */
export function secureVariant(m: SeedMatrix, inside: boolean): Matrix {
  const seed = inside ? m.inside : m.elsewhere;
  const namesClient = inside && (m.action === 'default' || m.action === 'only' || m.action === 'true' || m.action === 'norelay,2');
  if (namesClient) return seed;
  return seed.map((row, i) => (i === 0 ? [row[0], row[1], 'x'] : row)) as unknown as Matrix;
}

export const INSIDE_IP = '192.168.0.5';
export const ELSEWHERE_IP = '10.1.2.3';
