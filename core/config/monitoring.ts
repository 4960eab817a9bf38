/**
 * The `metrics` section (appliance/metrics/): who may read `/metrics` and `/status.json` on the
 * HTTP listener, and the bounds of a scrape. `/healthz` and `/readyz` are open to every client
 * (load balancers, systemd); they tell nothing but what is up.
 */
import { Type } from '@sinclair/typebox';

export const MetricsConfig = Type.Object({
  /**
   * Client addresses or CIDR ranges that may scrape without a token. Default: loopback only.
   * [] with a token = the token alone.
   */
  allow: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$', description: 'an IP address or CIDR range' }), { default: ['127.0.0.0/8', '::1/128'] }),
  /**
   * A bearer token (`Authorization: Bearer <token>`, Prometheus' `authorization` /
   * `bearer_token_file`) that lets a client from any address scrape. Absent = addresses only.
   */
  token: Type.Optional(Type.String({ minLength: 16, maxLength: 512, description: 'at least 16 characters' })),
  /** How long a scrape waits for every worker's numbers; a worker later than this is left out (mailserver_scrape_workers_missing). */
  collectTimeoutMs: Type.Integer({ minimum: 100, maximum: 30_000, default: 2000 }),
  /** Distinct delivery destinations (domains, gateways) given their own label; the rest count as "other". */
  maxDestinations: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
}, { default: {} });

/** Mail client autoconfiguration on the HTTP listener (appliance/autoconfig/). */
export const AutoconfigConfig = Type.Object({
  /** Serve the Thunderbird, Outlook and Apple autoconfiguration routes. */
  enabled: Type.Boolean({ default: true }),
  /**
   * The host name mail clients connect to (it must match the TLS certificate). Default: `hostname`.
   */
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$', description: 'a DNS host name' })),
  /** The provider's name shown by the clients (Thunderbird displayName, the Apple profile). Default: the host. */
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
}, { default: {} });
