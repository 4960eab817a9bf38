/**
 * The Date: header as RFC 5322 §3.3 (and its obsolete forms, §4.3) writes it, for SORT DATE
 * and THREAD (RFC 5256 §2.2: the sent date, in UTC) and SENTBEFORE/SENTON/SENTSINCE. Strict on
 * purpose: what is not a date is null and the caller takes the internal date, where
 * Date.parse would read "not a date 3" as a day in 2001.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** obs-zone (RFC 5322 §4.3), in minutes east of UTC; military zones count as -0000. */
const ZONES: Record<string, number> = { UT: 0, UTC: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };
const DATE = /^(?:[a-z]+\s*,?\s*)?(\d{1,2})\s*-?\s*([a-z]{3})[a-z]*\s*-?\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*(?:([+-])(\d{2})(\d{2})|([a-z]{1,5}))?\s*$/i;

export interface SentDate {
  /** Milliseconds since the epoch, UTC. */
  time: number;
  /** The writer's zone, minutes east of UTC. */
  offset: number;
}

export function parseSentDate(value: string | null): SentDate | null {
  if (!value || value.length > 200) return null;
  // comments (CFWS) go: "Sat, 01 Feb 2007 01:02:03 +0200 (CEST)"
  const text = value.replace(/\([^()]*\)/g, ' ').trim();
  const m = DATE.exec(text);
  if (!m) return null;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2].toLowerCase());
  let year = Number(m[3]);
  // RFC 5322 §4.3: two digits are 19xx from 50 on, else 20xx; three digits add 1900
  if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3].length === 3) year += 1900;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let offset = 0;
  if (m[7]) {
    offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  } else if (m[10]) {
    const zone = m[10].toUpperCase();
    if (zone in ZONES) offset = ZONES[zone];
    else if (zone.length !== 1) return null;
  }
  const local = Date.UTC(year, month, day, hour, minute, second);
  // 31 Feb and the like: not a date
  if (new Date(local).getUTCDate() !== day) return null;
  return { time: local - offset * 60_000, offset };
}
