/**
 * Mail client autoconfiguration on the HTTP listener (the lead's), generated at each request
 * from the serving generation's listeners (servers.ts):
 *   GET  /.well-known/autoconfig/mail/config-v1.1.xml[?emailaddress=]  Thunderbird (domain from the address, else the Host header)
 *   GET  /mail/config-v1.1.xml?emailaddress=                           Thunderbird, at autoconfig.<domain>
 *   POST /autodiscover/autodiscover.xml (also /Autodiscover/Autodiscover.xml)  Outlook POX
 *   GET  /apple/mailserver.mobileconfig?emailaddress=                  an Apple configuration profile
 * Only hosted domains get an answer (404 otherwise). A POST body over 16 KiB gets 413.
 */
import type http from 'node:http';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import type { HttpRoutes } from '../http/routes.ts';
import type { Generation } from '../runtime/generation.ts';
import { autodiscoverError, autodiscoverResponse, requestedAddress } from './autodiscover.ts';
import { appleMobileconfig } from './mobileconfig.ts';
import { clientSettings, parseEmailAddress } from './servers.ts';
import { thunderbirdConfig } from './thunderbird.ts';

export interface AutoconfigDeps {
  http: HttpRoutes;
  config: () => AppConfig;
  generation: () => Generation;
  /** Is this domain hosted here? */
  hosted: (domain: string) => Promise<boolean>;
  log: Logger;
}

/** Outlook's request is a few hundred bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const AUTOCONFIG_PATHS = {
  wellKnown: '/.well-known/autoconfig/mail/config-v1.1.xml',
  thunderbird: '/mail/config-v1.1.xml',
  autodiscover: '/autodiscover/autodiscover.xml',
  autodiscoverOutlook: '/Autodiscover/Autodiscover.xml',
  apple: '/apple/mailserver.mobileconfig',
} as const;

function send(res: http.ServerResponse, status: number, type: string, body: string, extra: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(body);
}

const text = (res: http.ServerResponse, status: number, body: string, extra?: http.OutgoingHttpHeaders) => send(res, status, 'text/plain; charset=utf-8', `${body}\n`, extra);

function target(req: http.IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return { path: url.pathname, query: url.searchParams };
}

/** The request body, at most `max` bytes (null: larger). */
function readBody(req: http.IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > max) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function registerAutoconfigRoutes(d: AutoconfigDeps): () => void {
  const enabled = () => d.config().autoconfig.enabled;
  const settings = () => clientSettings(d.config(), d.generation());

  /** The domain asked about: the address's, else (well-known only) the Host header's. */
  const domainOf = (req: http.IncomingMessage, query: URLSearchParams, hostFallback: boolean): { domain: string; address?: string } | 'bad' | null => {
    const raw = query.get('emailaddress');
    if (raw !== null) {
      const a = parseEmailAddress(raw);
      return a ? { domain: a.domain, address: a.address } : 'bad';
    }
    if (!hostFallback) return null;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^autoconfig\./i, '').toLowerCase();
    return /^[a-z0-9.-]{1,253}$/.test(host) ? { domain: host } : 'bad';
  };

  const getOnly = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    text(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
    return false;
  };

  const thunderbird = (hostFallback: boolean) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { path, query } = target(req);
    if (!enabled() || (path !== AUTOCONFIG_PATHS.wellKnown && path !== AUTOCONFIG_PATHS.thunderbird)) return text(res, 404, `Not found: ${path}`);
    if (!getOnly(req, res)) return;
    const asked = domainOf(req, query, hostFallback);
    if (asked === 'bad') return text(res, 400, 'Bad request: emailaddress is not an address');
    if (!asked) return text(res, 400, 'Bad request: emailaddress is required');
    if (!(await d.hosted(asked.domain))) return text(res, 404, `No mail service for ${asked.domain} here`);
    send(res, 200, 'application/xml; charset=utf-8', thunderbirdConfig(settings(), asked.domain));
  };

  const autodiscover = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { path } = target(req);
    if (!enabled() || (path !== AUTOCONFIG_PATHS.autodiscover && path !== AUTOCONFIG_PATHS.autodiscoverOutlook)) return text(res, 404, `Not found: ${path}`);
    if (req.method !== 'POST') return text(res, 405, 'Method not allowed: autodiscover takes a POST of the request XML', { allow: 'POST' });
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (body === null) return text(res, 413, `Request too large (at most ${MAX_REQUEST_BYTES} bytes)`, { connection: 'close' });
    const address = parseEmailAddress(requestedAddress(body));
    const xml = 'application/xml; charset=utf-8';
    if (!address) return send(res, 200, xml, autodiscoverError('The request names no valid EMailAddress'));
    if (!(await d.hosted(address.domain))) return send(res, 200, xml, autodiscoverError(`No mail service for ${address.domain} here`));
    send(res, 200, xml, autodiscoverResponse(settings(), address.address));
  };

  const apple = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { path, query } = target(req);
    if (!enabled() || path !== AUTOCONFIG_PATHS.apple) return text(res, 404, `Not found: ${path}`);
    if (!getOnly(req, res)) return;
    const address = parseEmailAddress(query.get('emailaddress'));
    if (!address) return text(res, 400, 'Bad request: emailaddress (user@domain) is required');
    if (!(await d.hosted(address.domain))) return text(res, 404, `No mail service for ${address.domain} here`);
    const profile = appleMobileconfig(settings(), address.address);
    if (!profile) return text(res, 503, 'No incoming or no SMTP listener to configure');
    send(res, 200, 'application/x-apple-aspen-config; charset=utf-8', profile, {
      'content-disposition': `attachment; filename="${address.domain.replace(/[^a-z0-9.-]/g, '')}.mobileconfig"`,
    });
  };

  const offs = [
    d.http.route(AUTOCONFIG_PATHS.wellKnown, thunderbird(true)),
    d.http.route(AUTOCONFIG_PATHS.thunderbird, thunderbird(false)),
    d.http.route(AUTOCONFIG_PATHS.autodiscover, autodiscover),
    d.http.route(AUTOCONFIG_PATHS.autodiscoverOutlook, autodiscover),
    d.http.route(AUTOCONFIG_PATHS.apple, apple),
  ];
  return () => offs.forEach((off) => off());
}
