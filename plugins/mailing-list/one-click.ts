/**
 * RFC 8058 one-click unsubscribe: the per-member List-Unsubscribe / List-Unsubscribe-Post
 * headers of a post's copy, and the HTTP endpoint they point to (POST removes the member at
 * once; GET only shows a form, so link scanners never unsubscribe anyone).
 */
import type http from 'node:http';
import type { Logger } from '../../core/log.ts';
import type { ListStore } from '../../core/store/ports.ts';
import type { Submit } from '../../core/submit.ts';
import type { HttpHandler } from '../../core/http.ts';
import { rewrite } from './headers.ts';
import { at, type ListAt, type ListDef } from './lists.ts';
import type { UnsubscribeTokens } from './unsubscribe-token.ts';
import { composeNotice } from './compose.ts';
import { HTTP_TEXT, PAGE } from './one-click-page.ts';

export const ONE_CLICK_PREFIX = '/list/unsubscribe/';
const MAX_BODY = 64 * 1024;
const DAY_MS = 24 * 3600_000;

/**
 * The copy for one member with `List-Unsubscribe: <mailto:…>, <https://…/TOKEN>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. RFC 8058 §3.1: the Post field only goes
 * with an HTTPS URI that identifies the recipient, hence one per member.
 */
export function withOneClick(content: Buffer, list: ListAt, url: string): Buffer {
  return rewrite(content, ['List-Unsubscribe', 'List-Unsubscribe-Post'], [
    // folded (RFC 5322 §2.2.3): the token makes the line long
    { name: 'List-Unsubscribe', value: `<mailto:${list.request}?body=LEAVE>,\r\n <${url}>` },
    { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
  ]);
}

export interface OneClickDeps {
  store: ListStore;
  defs: ListDef[];
  tokens: UnsubscribeTokens;
  log: Logger;
  hostname: string;
  /** Sends a notice (the admin's): api.submit. */
  submit: Submit;
}

function send(res: http.ServerResponse, status: number, body: string, type: 'html' | 'plain', extra: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': `text/${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    ...extra,
  });
  res.end(body);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * RFC 8058 §3.2: the POST body is `List-Unsubscribe=One-Click`, form-encoded either way; the
 * platform's Fetch Request parses both application/x-www-form-urlencoded and multipart/form-data.
 */
async function isOneClickBody(contentType: string | undefined, body: Buffer): Promise<boolean> {
  if (!contentType || !/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType)) return false;
  try {
    const form = await new Request('http://localhost/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
    return form.get('List-Unsubscribe') === 'One-Click';
  } catch {
    return false;
  }
}

export function oneClickHandler(d: OneClickDeps): HttpHandler {
  return async (req, res) => {
    const token = (req.url ?? '').split('?', 1)[0].slice(ONE_CLICK_PREFIX.length);
    const target = d.tokens.verify(token);
    const def = target && d.defs.find((x) => x.key === target.list);
    if (!target || !def) {
      d.log.info({ method: req.method, token: token.slice(0, 80) }, 'one-click unsubscribe: invalid token');
      req.resume();
      return send(res, 400, HTTP_TEXT.badToken, 'plain');
    }
    const list = at(def, target.domain);
    const member = target.member;
    if (Date.now() - target.issued.getTime() > def.oneClickDays * DAY_MS) {
      d.log.info({ list: def.key, member, issued: target.issued }, 'one-click unsubscribe: expired token');
      req.resume();
      return send(res, 410, HTTP_TEXT.expired(list.request), 'plain');
    }
    const subscription = await d.store.memberId(def.key, member);
    if (subscription !== null && subscription !== target.subscription) {
      // the address left and joined again: a link of the earlier subscription must not remove it
      d.log.info({ list: def.key, member }, 'one-click unsubscribe: token of an earlier subscription');
      req.resume();
      return send(res, 410, HTTP_TEXT.earlierSubscription(list.request), 'plain');
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const page = subscription !== null ? PAGE.confirm(member, list.address) : PAGE.notMember(member, list.address);
      return send(res, 200, page, 'html');
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, HTTP_TEXT.method, 'plain', { allow: 'GET, HEAD, POST' });
    }
    const body = await readBody(req);
    if (!body) return send(res, 413, HTTP_TEXT.tooLarge, 'plain', { connection: 'close' });
    if (!(await isOneClickBody(req.headers['content-type'], body))) return send(res, 400, HTTP_TEXT.badBody, 'plain');
    // RFC 8058 §3.2: the POST is the confirmation; no further step, no approval
    const removed = await d.store.removeMember(def.key, member);
    d.log.info({ list: def.key, member, removed }, 'one-click unsubscribe');
    if (removed && def.admin && def.leaveToAdmin) {
      // the admin wants to see leaves (leaveToAdmin); a one-click leave cannot wait, so it is told afterwards
      try {
        await d.submit({ from: '', to: [def.admin], origin: 'list', content: await composeNotice({
          from: list.request, to: def.admin, subject: HTTP_TEXT.adminSubject(list.address, member), text: HTTP_TEXT.admin(member, list.address),
        }, d.hostname) });
      } catch (err) {
        d.log.error({ err, list: def.key, member }, 'one-click unsubscribe: admin notice not queued');
      }
    }
    send(res, 200, removed ? PAGE.removed(member, list.address) : PAGE.alreadyRemoved(member, list.address), 'html');
  };
}
