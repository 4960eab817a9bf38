/** antivirus's options, as written in mailserver.config.ts (TypeBox, checked at start). */
import { Type, type Static } from '@sinclair/typebox';
import { FreshclamOptions } from './freshclam.ts';

export const NotifyOptions = Type.Object({
  enabled: Type.Boolean({ default: false }),
  /**
   * AV-2: send through this SMTP server (AUTH PLAIN when user is set). Without it the
   * notification is committed to the appliance's own queue (local accounts get it directly).
   */
  smtp: Type.Optional(Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 25 }),
    user: Type.Optional(Type.String()),
    pass: Type.Optional(Type.String()),
  })),
  /** Sender address and display name of the notification. */
  from: Type.String({ default: 'postmaster' }),
  fromName: Type.String({ default: 'Virus scanner' }),
  /** Addresses, and the variables &TO (first To:), &FROM (first From:), &RCV (envelope recipients), &SND (envelope sender). */
  recipients: Type.Array(Type.String(), { default: [] }),
  /** 'list': the recipients above; 'sender': the envelope sender; 'both'. */
  target: Type.Union([Type.Literal('list'), Type.Literal('sender'), Type.Literal('both')], { default: 'list' }),
  subject: Type.String({ default: 'Virus detected in a message' }),
});

export const AntivirusOptions = Type.Object({
  /** clamd's UNIX socket, or host and port (TCP). */
  clamd: Type.Object({
    socket: Type.Optional(Type.String({ minLength: 1 })),
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  }, { default: {} }),
  /** A scan that takes longer counts as a scanner failure (see onError). */
  timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  /** When clamd is down or slow: refuse with 451 (the default) or accept with an X-Virus-Status header. */
  onError: Type.Union([Type.Literal('tempfail'), Type.Literal('accept')], { default: 'tempfail' }),
  /** AV-1: keep a copy of refused messages in the viruslog folder. */
  viruslog: Type.Boolean({ default: false }),
  /** Directory of viruslog copies (relative to the data directory). */
  viruslogFolder: Type.String({ default: 'viruslog' }),
  /** AV-3: client IPs or CIDR ranges whose mail is not scanned. */
  exemptIps: Type.Array(Type.String(), { default: [] }),
  /** Add `X-Virus-Scanned` to messages found clean. */
  addHeader: Type.Boolean({ default: true }),
  notify: Type.Optional(NotifyOptions),
  /** AV-3: signature updates by ClamAV's freshclam (`mailserver antivirus freshclam-conf` writes its config). */
  freshclam: Type.Optional(FreshclamOptions),
});
export type AntivirusOptions = Static<typeof AntivirusOptions>;
export type NotifyOptions = Static<typeof NotifyOptions>;
