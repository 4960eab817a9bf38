/**
 * Outlook's POX autodiscover ([MS-OXDSCLI] §2.2.3/§2.2.4): the client POSTs a request naming
 * its address; the answer is an "email" account with one Protocol element per server (IMAP, POP3,
 * SMTP). Encryption says SSL (implicit TLS) or TLS (STARTTLS); LoginName is the whole address.
 */
import type { ClientServer, ClientSettings } from './servers.ts';
import { xmlEscape as x, xmlUnescape } from './xml.ts';

export const REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const OUTER_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';

/** The EMailAddress of a request (any namespace prefix), or null. */
export function requestedAddress(body: string): string | null {
  const m = /<(?:[A-Za-z_][\w.-]*:)?EMailAddress\s*>([^<]{1,320})<\/(?:[A-Za-z_][\w.-]*:)?EMailAddress\s*>/.exec(body);
  return m ? xmlUnescape(m[1]).trim() : null;
}

function protocol(s: ClientServer, login: string): string {
  return [
    '      <Protocol>',
    `        <Type>${s.protocol === 'pop3' ? 'POP3' : s.protocol.toUpperCase()}</Type>`,
    `        <Server>${x(s.host)}</Server>`,
    `        <Port>${x(s.port)}</Port>`,
    '        <DomainRequired>off</DomainRequired>',
    `        <LoginName>${x(login)}</LoginName>`,
    '        <SPA>off</SPA>',
    '        <SSL>on</SSL>',
    `        <Encryption>${s.socket === 'SSL' ? 'SSL' : 'TLS'}</Encryption>`,
    '        <AuthRequired>on</AuthRequired>',
    '      </Protocol>',
  ].join('\n');
}

export function autodiscoverResponse(settings: ClientSettings, address: string): string {
  // Outlook takes the first server of each type: the preferred one of each
  const first = new Map<string, ClientServer>();
  for (const s of [...settings.incoming, ...settings.outgoing]) if (!first.has(s.protocol)) first.set(s.protocol, s);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${OUTER_SCHEMA}">`,
    `  <Response xmlns="${RESPONSE_SCHEMA}">`,
    '    <Account>',
    '      <AccountType>email</AccountType>',
    '      <Action>settings</Action>',
    ...[...first.values()].map((s) => protocol(s, address)),
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}

/** The error answer for a request without a usable address ([MS-OXDSCLI] §2.2.4.1.1.1). */
export function autodiscoverError(message: string): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${OUTER_SCHEMA}">`,
    '  <Response>',
    `    <Error Time="${x(new Date().toISOString().slice(11, 19))}" Id="${x(String(process.pid))}">`,
    '      <ErrorCode>600</ErrorCode>',
    `      <Message>${x(message)}</Message>`,
    '      <DebugData />',
    '    </Error>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}
