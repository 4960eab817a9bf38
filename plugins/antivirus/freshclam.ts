/**
 * AV-3 signature updates are ClamAV's own freshclam; this writes its config from the antivirus
 * options (`mailserver antivirus freshclam-conf > /etc/clamav/freshclam.conf`): the schedule
 * (checks a day, the seed's VMCS update service) and the HTTP proxy (the seed's "PROXY" setting).
 */
import { Type, type Static } from '@sinclair/typebox';

export const FreshclamOptions = Type.Object({
  /** Update checks a day (freshclam `Checks`). */
  checks: Type.Integer({ minimum: 1, maximum: 50, default: 24 }),
  proxy: Type.Optional(Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    user: Type.Optional(Type.String()),
    pass: Type.Optional(Type.String()),
  })),
  /** Where the signatures go (must be clamd's DatabaseDirectory). */
  databaseDirectory: Type.String({ default: '/var/lib/clamav' }),
  /** clamd's config, so freshclam tells clamd to reload after an update. */
  clamdConf: Type.String({ default: '/etc/clamav/clamd.conf' }),
  mirror: Type.String({ default: 'database.clamav.net' }),
});
export type FreshclamOptions = Static<typeof FreshclamOptions>;

export function freshclamConf(o: FreshclamOptions): string {
  return [
    '# freshclam.conf written by `mailserver antivirus freshclam-conf` from the antivirus plugin options',
    `DatabaseDirectory ${o.databaseDirectory}`,
    `DatabaseMirror ${o.mirror}`,
    `Checks ${o.checks}`,
    `NotifyClamd ${o.clamdConf}`,
    ...(o.proxy ? [`HTTPProxyServer ${o.proxy.host}`, `HTTPProxyPort ${o.proxy.port}`] : []),
    ...(o.proxy?.user ? [`HTTPProxyUsername ${o.proxy.user}`, `HTTPProxyPassword ${o.proxy.pass ?? ''}`] : []),
    '',
  ].join('\n');
}
