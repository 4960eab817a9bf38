/** autoreply's options, as written in mailserver.config.ts (TypeBox, checked at start). */
import { Type, type Static } from '@sinclair/typebox';
import { AccountAutoreplySchema } from '../../policies/ims-ctl.ts';

export const AutoreplyOptions = Type.Object({
  /** Per account, keyed by `user@domain` (the seed's IMS.CTL and its files of that mailbox). */
  accounts: Type.Record(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), AccountAutoreplySchema, { default: {} }),
  /**
   * SRS for forwards that keep the original sender (envelopeFrom: 'sender') and leave for
   * another domain: 'spf' (default) rewrites when the sender's domain publishes SPF, 'always',
   * or 'off'. Forwards with the default envelopeFrom ('admin') need none: their sender is ours.
   */
  srs: Type.Optional(Type.Object({
    mode: Type.Optional(Type.Union([Type.Literal('spf'), Type.Literal('always'), Type.Literal('off')], { default: 'spf' })),
    /** HMAC secret; default: one generated into DATA/autoreply/srs-secret. */
    secret: Type.Optional(Type.String({ minLength: 16 })),
    /** Resolvers for the SPF lookup (`host:port`); default delivery.dnsServers, else the system's. */
    dnsServers: Type.Optional(Type.Array(Type.String())),
    /** Bounces to SRS addresses older than this are refused. */
    maxAgeDays: Type.Optional(Type.Integer({ minimum: 1, default: 21 })),
  })),
});
export type AutoreplyOptions = Static<typeof AutoreplyOptions>;
