/**
 * Thunderbird's autoconfig document, "config-v1.1.xml" (the format of
 * https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat): one emailProvider
 * for the domain, its incoming servers (IMAP, then POP3) and outgoing SMTP servers in order of
 * preference. The username is the whole address (%EMAILADDRESS%), as the appliance's logins are.
 */
import type { ClientServer, ClientSettings } from './servers.ts';
import { xmlEscape as x } from './xml.ts';

function server(tag: 'incomingServer' | 'outgoingServer', s: ClientServer): string {
  return [
    `    <${tag} type="${x(s.protocol)}">`,
    `      <hostname>${x(s.host)}</hostname>`,
    `      <port>${x(s.port)}</port>`,
    `      <socketType>${x(s.socket)}</socketType>`,
    '      <authentication>password-cleartext</authentication>',
    '      <username>%EMAILADDRESS%</username>',
    `    </${tag}>`,
  ].join('\n');
}

export function thunderbirdConfig(settings: ClientSettings, domain: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${x(domain)}">`,
    `    <domain>${x(domain)}</domain>`,
    `    <displayName>${x(settings.displayName)}</displayName>`,
    `    <displayShortName>${x(settings.displayName)}</displayShortName>`,
    ...settings.incoming.map((s) => server('incomingServer', s)),
    ...settings.outgoing.map((s) => server('outgoingServer', s)),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}
