/** The mailing-list plugin's options (ML-1 … ML-5): one entry per list, defined in mailserver.config.ts. */
import { Type, type Static } from '@sinclair/typebox';

const ADDRESS = '^[^@\\s]+@[^@\\s]+$';

export const ListSchema = Type.Object({
  /** `name` (every hosted domain) or `name@domain` (that domain only). */
  name: Type.String({ pattern: '^[A-Za-z0-9._+-]+(@[A-Za-z0-9.-]+)?$' }),
  /** ML-2 post password: when set, posts must come over SMTP AUTH (ID = list name, or the poster's own account). */
  postPassword: Type.String({ default: '' }),
  /**
   * The seed's 「"FROM"では利用しない」 flag read as "the list name is (not) used as the sender":
   * when true the copies carry `From: <list address>` and the author moves to X-Original-From
   * (as mailing lists do for DMARC). Default false: the author's From: is kept (see README).
   */
  fromIsList: Type.Boolean({ default: false }),
  /** Add Reply-To: <list> [yes]. */
  replyTo: Type.Boolean({ default: true }),
  /** Add the list headers (RFC 2369 / RFC 2919, Precedence, X-ML-Name, X-Mail-Count) [yes]. */
  listHeaders: Type.Boolean({ default: true }),
  /** Post counter start [0]: the first post gets counter + 1 (the seed's カウンタ値). */
  counter: Type.Integer({ minimum: 0, default: 0 }),
  /** Subject tag with the counter, e.g. `[test %03d]` (wraps at the width); '' = none. */
  subjectTag: Type.String({ default: '' }),
  /** Keep posts in the archive (ARTICLE commands need it) [no]. */
  archive: Type.Boolean({ default: false }),
  /** Non-delivery reports: 'nobody' (null sender), 'poster', or an address. */
  errorsTo: Type.Union([Type.Literal('nobody'), Type.Literal('poster'), Type.String({ pattern: ADDRESS })], { default: 'nobody' }),
  /**
   * ML-5 bounce processing [0 = off]: when > 0 the list handles errors itself: each copy goes
   * out alone with a VERP envelope sender `<name>-bounce+<member=domain>@<domain>`; a report
   * coming back there is counted for that member, and after this many the member is disabled
   * (sent nothing, still listed) and the admin told. Reports still go on as errorsTo says.
   */
  bounceLimit: Type.Integer({ minimum: 0, default: 0 }),
  /** Who may post [members]. */
  posters: Type.Union([Type.Literal('anyone'), Type.Literal('members'), Type.Literal('admin')], { default: 'members' }),
  /** "Do not answer": no replies to refused posts nor to commands. */
  noAnswer: Type.Boolean({ default: false }),
  /** ML-3 admin address ('' = none). */
  admin: Type.String({ default: '' }),
  /** JOIN / LEAVE requests need the admin's approval. */
  joinToAdmin: Type.Boolean({ default: false }),
  leaveToAdmin: Type.Boolean({ default: false }),
  /** Minutes a KEYGEN admin key is valid; 0 = admin commands need no key. */
  adminKeyMinutes: Type.Integer({ minimum: 0, default: 0 }),
  /**
   * JOIN / LEAVE take effect only after the address itself confirms (CONFIRM <token> mailed to
   * it) [yes]: the sender of a command is not authenticated, so without it anyone could
   * subscribe or remove anyone.
   */
  confirm: Type.Boolean({ default: true }),
  /**
   * RFC 8058 one-click unsubscribe [yes]: each copy's List-Unsubscribe also gets an HTTPS link
   * for its member, with List-Unsubscribe-Post. Needs per-member copies (bounceLimit > 0, VERP),
   * list headers, and an HTTPS base URL (http.publicUrl or an HTTPS listener); otherwise the
   * copies keep the mailto: link only. See README, "One-click unsubscribe".
   */
  oneClickUnsubscribe: Type.Boolean({ default: true }),
  /**
   * Days a one-click link works after the post it came with [60]; a link of an earlier
   * subscription (the member left and joined again) never does.
   */
  oneClickDays: Type.Integer({ minimum: 1, default: 60 }),
  /** Commands run from one -request mail [20]; the rest are answered as not done. */
  maxCommands: Type.Integer({ minimum: 1, default: 20 }),
  /** Bytes of archive (ARTICLE INDEX lines, ARTICLE LIST attachments) one answer carries [1 MiB]. */
  answerMaxBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /**
   * Posts from senders who may not post (posters) are refused during the SMTP session with 550
   * [default], so no notice goes to a sender that may be forged. true: accept them and mail the
   * sender a notice instead (the original's behaviour), unless noAnswer.
   */
  refusalNotice: Type.Boolean({ default: false }),
  /** Add-ons (registered by other plugins with registerListAddon) run on every post, in order. */
  addons: Type.Array(Type.String(), { default: [] }),
  /** ML-5 delivery split [by domain, 2 parts]. */
  split: Type.Object({
    rule: Type.Union([Type.Literal('domain'), Type.Literal('even')], { default: 'domain' }),
    parts: Type.Integer({ minimum: 1, default: 2 }),
  }, { default: {} }),
});

export type ListOptions = Static<typeof ListSchema>;

export const OptionsSchema = Type.Object({
  lists: Type.Array(ListSchema, { default: [] }),
});
