/**
 * ML-5 bounce processing: a non-delivery report to a member's VERP address
 * (`<list>-bounce+<member=domain>@<domain>`) is counted for that member; at the list's
 * bounceLimit the member is disabled and the admin told. The report itself still goes where
 * errorsTo says: nowhere (nobody), to the poster (the From of the returned post), or an address.
 */
import type { ListStore, OutboundItem } from '../../core/store/ports.ts';
import type { ListAt } from './lists.ts';
import { composeNotice } from './compose.ts';
import { addressOf } from './headers.ts';
import { TEXT } from './replies.ts';

/** The From of the returned post inside a report (its text/rfc822-headers or message/rfc822 part). */
export function returnedFrom(report: Buffer): string {
  const text = report.toString('latin1');
  const part = text.search(/^Content-Type:\s*(text\/rfc822-headers|message\/rfc822)/im);
  if (part < 0) return '';
  const m = /^From:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(text.slice(part).replace(/^[\s\S]*?\r?\n\r?\n/, ''));
  return m ? addressOf(m[1].replace(/\r?\n[ \t]+/g, ' ')) : '';
}

export interface BounceResult {
  count: number | null;
  disabled: boolean;
  outbound: OutboundItem[];
}

export async function takeBounce(store: ListStore, list: ListAt, member: string, report: Buffer, hostname: string): Promise<BounceResult> {
  const def = list.def;
  const outbound: OutboundItem[] = [];
  const count = await store.recordBounce(def.key, member);
  let disabled = false;
  if (count !== null && count >= def.bounceLimit) {
    const was = (await store.members(def.key)).find((m) => m.address.toLowerCase() === member.toLowerCase())?.disabled;
    if (!was) {
      disabled = await store.setDisabled(def.key, member, true);
      if (disabled && def.admin) {
        outbound.push({ mailFrom: '', recipients: [def.admin], content: await composeNotice({
          from: list.request, to: def.admin, subject: TEXT.disabledSubject(def.local, member), text: TEXT.disabled(member, def.local, count),
        }, hostname) });
      }
    }
  }
  const to = def.errorsTo === 'nobody' ? '' : def.errorsTo === 'poster' ? returnedFrom(report) : def.errorsTo;
  if (to) outbound.push({ mailFrom: '', recipients: [to], content: report });
  return { count, disabled, outbound };
}
