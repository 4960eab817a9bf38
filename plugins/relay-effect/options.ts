/** relay-effect's options, as written in mailserver.config.ts (TypeBox, checked at start). */
import { Type, type Static } from '@sinclair/typebox';
import { EffectRuleSchema } from '../../policies/effect-rules.ts';
import { AccountLimitsSchema } from '../../policies/account-limits.ts';

export const RelayEffectOptions = Type.Object({
  /** RL-1 … RL-6: effect.dat rules, first match wins; `only` only as the last rule. */
  rules: Type.Array(EffectRuleSchema, { default: [] }),
  /** A seed `effect.dat` to read at start instead of `rules` (relative to the working directory). */
  file: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The seed's default lets any unauthenticated client relay when its MAIL FROM names a local
   * account (RL-1). false (secure): only clients an IP rule lists (`default`, `only`, `true`,
   * `norelay,2`) or authenticated sessions relay. true: the seed's behaviour.
   */
  localSenderRelay: Type.Boolean({ default: false }),
  /**
   * RX-4 security level: 'optional' (1, the seed's default: non-authenticated sessions
   * allowed), 'required' (2: every session must authenticate, mail from outside included),
   * 'per-account' (3: accounts flagged SMTP-AUTH must authenticate to send as themselves).
   * `norelay,2` sources are exempt from 2 and 3.
   */
  authLevel: Type.Union([Type.Literal('optional'), Type.Literal('required'), Type.Literal('per-account')], { default: 'optional' }),
  /**
   * RX-6 sender trust of authenticated sessions: 'auth-id' (the seed's default: any sender),
   * 'envelope' (MAIL FROM must be the authenticated account), 'envelope-and-header'
   * (MAIL FROM and the From: header must both be it).
   */
  senderTrust: Type.Union([Type.Literal('auth-id'), Type.Literal('envelope'), Type.Literal('envelope-and-header')], { default: 'auth-id' }),
  /** AC-4 / AC-5 per account, keyed by `user@domain`. */
  accounts: Type.Record(Type.String(), AccountLimitsSchema, { default: {} }),
});
export type RelayEffectOptions = Static<typeof RelayEffectOptions>;
