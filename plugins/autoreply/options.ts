/** autoreply's options, as written in mailserver.config.ts (TypeBox, checked at start). */
import { Type, type Static } from '@sinclair/typebox';
import { AccountAutoreplySchema } from '../../policies/ims-ctl.ts';

export const AutoreplyOptions = Type.Object({
  /** Per account, keyed by `user@domain` (the seed's IMS.CTL and its files of that mailbox). */
  accounts: Type.Record(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), AccountAutoreplySchema, { default: {} }),
});
export type AutoreplyOptions = Static<typeof AutoreplyOptions>;
