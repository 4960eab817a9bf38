/**
 * FW-1: the forwarded copy. The message as stored for the account, without its Return-Path
 * (the next hop writes its own), with a loop marker naming the forwarding account, attachments
 * removed and the body cut to N bytes when asked (the seed's 転送サイズ制限: 0 = headers only).
 */
import { header, multipartParts, param, splitMessage, withoutFields } from './message.ts';

/** Names the accounts a message was forwarded by: a message never goes round the same account twice. */
export const FORWARD_MARK = 'X-Autoforwarded-By';

function isAttachment(head: string): boolean {
  const type = header(head, 'Content-Type') ?? '';
  if (/^\s*multipart\//i.test(type)) return false;
  const disposition = header(head, 'Content-Disposition') ?? '';
  return /^\s*attachment/i.test(disposition) || param(disposition, 'filename') !== undefined || param(type, 'name') !== undefined;
}

/** Drops attachment parts from a (nested) multipart entity; returns the entity and how many went. */
function strip(entity: Buffer): { entity: Buffer; removed: number } {
  const { head, body } = splitMessage(entity);
  const type = header(head, 'Content-Type') ?? '';
  const boundary = param(type, 'boundary');
  if (!/^\s*multipart\//i.test(type) || !boundary) return { entity, removed: 0 };
  const parts = multipartParts(body, boundary);
  if (!parts) return { entity, removed: 0 };
  let removed = 0;
  const kept: Buffer[] = [];
  for (const part of parts) {
    const partHead = splitMessage(part).head;
    if (isAttachment(partHead)) {
      removed++;
      continue;
    }
    const inner = strip(part);
    removed += inner.removed;
    kept.push(inner.entity);
  }
  if (!removed) return { entity, removed: 0 };
  const rebuilt = Buffer.concat([
    ...kept.flatMap((p) => [Buffer.from(`--${boundary}\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { entity: Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), rebuilt]), removed };
}

export interface ForwardShape {
  account: string;
  stripAttachments: boolean;
  maxBodyBytes?: number;
}

/** Accounts that forwarded this message already (its loop markers). */
export function forwardedBy(content: Buffer): string[] {
  const { head } = splitMessage(content);
  return head.split(/\r\n(?![ \t])/).filter((l) => l.toLowerCase().startsWith(`${FORWARD_MARK.toLowerCase()}:`))
    .map((l) => l.slice(FORWARD_MARK.length + 1).trim().toLowerCase());
}

export function buildForward(content: Buffer, shape: ForwardShape): Buffer {
  let entity = content;
  let removed = 0;
  if (shape.stripAttachments) ({ entity, removed } = strip(entity));
  const { head, body } = splitMessage(entity);
  const marks = `${FORWARD_MARK}: ${shape.account}\r\n${removed ? `X-Attachments-Removed: ${removed}\r\n` : ''}`;
  const cut = shape.maxBodyBytes === undefined ? body : body.subarray(0, shape.maxBodyBytes);
  return Buffer.concat([Buffer.from(marks + withoutFields(head, ['Return-Path']) + '\r\n', 'latin1'), cut]);
}
