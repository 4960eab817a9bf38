/** mailfilter's options, as written in mailserver.config.ts (TypeBox, checked at start). */
import { Type, type Static } from '@sinclair/typebox';
import { FilterRuleSchema } from '../../policies/mail-dat.ts';

export const FilterTableSchema = Type.Object({
  /** Rules in the typed form (see policies/mail-dat.ts). */
  rules: Type.Array(FilterRuleSchema, { default: [] }),
  /** A seed `mail.dat` (UTF-8 or Shift_JIS) read at start, before `rules`. */
  file: Type.Optional(Type.String({ minLength: 1 })),
  // the default makes TypeBox fill `rules` inside the `accounts` Record (it skips a value schema without one)
}, { default: {} });
export type FilterTable = Static<typeof FilterTableSchema>;

export const MailfilterOptions = Type.Object({
  /** The global table (MF-1, MF-2), applied at the end of DATA to every message. */
  rules: Type.Array(FilterRuleSchema, { default: [] }),
  file: Type.Optional(Type.String({ minLength: 1 })),
  /** MF-3: client IPs or CIDR ranges whose mail is not filtered (global and per-account tables). */
  exemptIps: Type.Array(Type.String(), { default: [] }),
  /** AC-6: per-account tables keyed by `user@domain`, applied when the message is stored for that account. */
  accounts: Type.Record(Type.String(), FilterTableSchema, { default: {} }),
  /** Where the global table's `Folder:` copies go (default `<dataDir>`); `viruslog` is a folder under it. */
  folderRoot: Type.Optional(Type.String({ minLength: 1 })),
  /** DNS servers for `RBL:` lookups (`host:port`); default: the system's. */
  dnsServers: Type.Array(Type.String(), { default: [] }),
  /** A URI blocklist lookup running longer counts as "not listed". */
  rblTimeoutMs: Type.Integer({ minimum: 1, default: 2000 }),
});
export type MailfilterOptions = Static<typeof MailfilterOptions>;
