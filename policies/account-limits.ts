/**
 * Per-account limits of the seed's account manager (pure, tested as tables):
 *   AC-4 usage time window — when the account may use the service;
 *   AC-5 allowed recipients — one address a line, `*` wildcard (`*@domain.co.jp`); an empty
 *        or absent table means no restriction.
 */
import { Type, type Static } from '@sinclair/typebox';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, local time' });

export const UsageWindowSchema = Type.Object({
  /** Days the window applies to; absent = every day. */
  days: Type.Optional(Type.Array(Type.Union(DAYS.map((d) => Type.Literal(d))))),
  /** Start (inclusive) and end (exclusive); an end before the start runs past midnight. */
  from: HHMM,
  to: HHMM,
});
export type UsageWindow = Static<typeof UsageWindowSchema>;

export const AccountLimitsSchema = Type.Object({
  /** AC-5: addresses this account may send to; `*` matches any run of characters. */
  allowedRecipients: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** AC-4: when the account may be used; absent or empty = always. */
  hours: Type.Optional(Type.Array(UsageWindowSchema)),
});
export type AccountLimits = Static<typeof AccountLimitsSchema>;

function glob(pattern: string): RegExp {
  const body = pattern.toLowerCase().split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** AC-5: true when the table is empty or a line matches the recipient (case-insensitive). */
export function recipientAllowed(patterns: readonly string[] | undefined, recipient: string): boolean {
  if (!patterns?.length) return true;
  const r = recipient.toLowerCase();
  return patterns.some((p) => glob(p.trim()).test(r));
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** AC-4: true when there are no windows or `at` (local time) falls in one of them. */
export function withinHours(windows: readonly UsageWindow[] | undefined, at: Date): boolean {
  if (!windows?.length) return true;
  const now = at.getHours() * 60 + at.getMinutes();
  const today = DAYS[at.getDay()];
  const yesterday = DAYS[(at.getDay() + 6) % 7];
  return windows.some((w) => {
    const from = minutes(w.from);
    const to = minutes(w.to);
    const on = (d: string) => !w.days || (w.days as string[]).includes(d);
    if (from === to) return on(today);
    if (from < to) return on(today) && now >= from && now < to;
    // past midnight: the evening part belongs to today, the morning part to yesterday's window
    return (on(today) && now >= from) || (on(yesterday) && now < to);
  });
}
