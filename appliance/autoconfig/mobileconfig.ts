/**
 * An Apple configuration profile (.mobileconfig, a property list: Apple's "Configuration Profile
 * Reference", payload type com.apple.mail.managed) that sets up one mail account on iOS and
 * macOS: the preferred incoming server (IMAP, else POP3) and SMTP server, the address as the
 * login, password authentication over TLS. The profile is not signed; the device shows it as
 * unverified. Its UUIDs are derived from the host and address, so downloading it again replaces
 * the installed profile instead of adding a second one.
 */
import crypto from 'node:crypto';
import type { ClientSettings } from './servers.ts';
import { xmlEscape as x } from './xml.ts';

function uuidFor(...parts: string[]): string {
  const h = crypto.createHash('sha256').update(parts.join('\0')).digest('hex');
  // RFC 9562 §5.8 layout (version 8: custom), variant bits 10
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

function reverseDns(host: string): string {
  return host.split('.').filter(Boolean).reverse().join('.');
}

const str = (key: string, value: string) => `      <key>${key}</key>\n      <string>${x(value)}</string>`;
const int = (key: string, value: number) => `      <key>${key}</key>\n      <integer>${Math.trunc(value)}</integer>`;
const bool = (key: string, value: boolean) => `      <key>${key}</key>\n      <${value ? 'true' : 'false'}/>`;

export function appleMobileconfig(settings: ClientSettings, address: string): string | null {
  const incoming = settings.incoming[0];
  const outgoing = settings.outgoing[0];
  if (!incoming || !outgoing) return null;
  const id = `${reverseDns(settings.host)}.mailserver.${address.replace(/[^A-Za-z0-9.-]/g, '-')}`;
  const account = [
    str('EmailAccountDescription', `${settings.displayName} (${address})`),
    str('EmailAccountName', address),
    str('EmailAccountType', incoming.protocol === 'imap' ? 'EmailTypeIMAP' : 'EmailTypePOP'),
    str('EmailAddress', address),
    str('IncomingMailServerAuthentication', 'EmailAuthPassword'),
    str('IncomingMailServerHostName', incoming.host),
    int('IncomingMailServerPortNumber', incoming.port),
    bool('IncomingMailServerUseSSL', true),
    str('IncomingMailServerUsername', address),
    str('OutgoingMailServerAuthentication', 'EmailAuthPassword'),
    str('OutgoingMailServerHostName', outgoing.host),
    int('OutgoingMailServerPortNumber', outgoing.port),
    bool('OutgoingMailServerUseSSL', true),
    str('OutgoingMailServerUsername', address),
    bool('OutgoingPasswordSameAsIncomingPassword', true),
    str('PayloadDescription', `Mail account ${address}`),
    str('PayloadDisplayName', `${settings.displayName} mail`),
    str('PayloadIdentifier', `${id}.account`),
    str('PayloadType', 'com.apple.mail.managed'),
    str('PayloadUUID', uuidFor(settings.host, address, 'account')),
    int('PayloadVersion', 1),
  ].map((l) => l.replace(/^ {6}/gm, '        ')).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>PayloadContent</key>',
    '  <array>',
    '    <dict>',
    account,
    '    </dict>',
    '  </array>',
    ...[
      str('PayloadDescription', `Sets up the mail account ${address} on ${settings.host}`),
      str('PayloadDisplayName', `${settings.displayName} mail`),
      str('PayloadIdentifier', id),
      bool('PayloadRemovalDisallowed', false),
      str('PayloadType', 'Configuration'),
      str('PayloadUUID', uuidFor(settings.host, address, 'profile')),
      int('PayloadVersion', 1),
    ].map((l) => l.replace(/^ {6}/gm, '  ')),
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
