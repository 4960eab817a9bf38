/**
 * The `delivery` section: the outbound queue and SMTP delivery (the seed's EPSTDS service,
 * SPEC TX-1 … TX-6, DO-1 error copies, LG-1 send/delivery/failure logs).
 */
import { Type, type Static } from '@sinclair/typebox';

const Seconds = (dflt: number, description: string) => Type.Integer({ minimum: 0, default: dflt, description });

/** TX-6: ESMTP AUTH to a gateway (method: the SASL mechanism; PLAIN, LOGIN or CRAM-MD5). */
export const DeliveryAuth = Type.Object({
  method: Type.Union([Type.Literal('PLAIN'), Type.Literal('LOGIN'), Type.Literal('CRAM-MD5')], { default: 'PLAIN' }),
  user: Type.String({ minLength: 1 }),
  pass: Type.String(),
});

/** One row of the per-domain gateway table (TX-4). */
export const GatewayRule = Type.Object({
  /** Recipient domain, `*` matches any run of characters (`*.example.co.jp`, `01*.example.co.jp`). */
  domain: Type.String({ minLength: 1 }),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 25 }),
  /** Implicit TLS (the seed's `465*`). */
  tls: Type.Boolean({ default: false }),
});

export const DeliveryConfig = Type.Object({
  /** Run the delivery service in this process. */
  enabled: Type.Boolean({ default: true }),
  /** TX-1: SMTP transactions in flight at once (the seed recommends 20–30). */
  workers: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  /** Transactions in flight to one destination domain at once. */
  perDestination: Type.Integer({ minimum: 1, default: 10 }),
  /** Name sent with EHLO; default: the top-level `hostname`. */
  heloName: Type.Optional(Type.String({ minLength: 1 })),
  /** TX-3: the port of the receiving servers (MX hosts and the global gateway). */
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 25 }),
  /** TX-3: up to 3 DNS servers (`ip` or `ip:port`) for MX lookups; none = the system resolver. */
  dnsServers: Type.Array(Type.String({ minLength: 1 }), { maxItems: 3, default: [] }),
  /** TX-3: how long a destination's MX hosts are remembered after a successful delivery; 0 = off. */
  mxCacheSeconds: Seconds(864_000, 'MX cache lifetime in seconds, 0 = off'),
  /** TX-2 */
  retry: Type.Object({
    /** Wait before the next attempt after a failure. */
    intervalSeconds: Seconds(120, 'retry interval'),
    /** The seed's "retry without waiting": the next attempt comes at the next cycle, no interval. */
    withoutWaiting: Type.Boolean({ default: false }),
    /** Attempts after the peer refused (4xx) before the message bounces. */
    refusals: Type.Integer({ minimum: 0, default: 9 }),
    /** Connected, then a line error or time-out: retry this long, then bounce. */
    lineErrorSeconds: Seconds(8 * 3600, 'retry period for line errors'),
    /** No host of the destination answers: retry this long, then bounce. */
    unreachableSeconds: Seconds(24 * 3600, 'retry period when no host answers'),
  }, { default: {} }),
  /** How often the queue is scanned for due entries (new mail in this process is sent at once). */
  pollMs: Type.Integer({ minimum: 10, default: 1000 }),
  /** How long a claimed queue entry stays leased to this node before another may take it. */
  leaseSeconds: Type.Integer({ minimum: 5, default: 600 }),
  timeouts: Type.Object({
    connectMs: Type.Integer({ minimum: 100, default: 30_000 }),
    greetingMs: Type.Integer({ minimum: 100, default: 300_000 }),
    /** Inactivity during a session (RFC 5321 §4.5.3.2 asks for minutes; tests use seconds). */
    socketMs: Type.Integer({ minimum: 100, default: 300_000 }),
  }, { default: {} }),
  /** TX-4: the smarthost for all external mail (`host`, `host:port`, `host:465*` for implicit TLS). */
  gateway: Type.Optional(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5}\\*?)?$' })),
  /** TX-4: per-domain gateways, first match wins (checked before `gateway`). */
  gatewayTable: Type.Array(GatewayRule, { default: [] }),
  /** TX-4: a gateway table in the seed's format (`domain,host,port[*]`), read at start, after `gatewayTable`. */
  gatewayTableFile: Type.Optional(Type.String()),
  /** TX-5: hand all received mail, for hosted domains too, to the gateway (this node keeps no mailboxes). */
  forwardAllToGateway: Type.Boolean({ default: false }),
  /** TX-6: AUTH to gateways (the global one and the table's). */
  auth: Type.Optional(DeliveryAuth),
  /** Verify the peer's certificate on STARTTLS / implicit TLS (off: opportunistic TLS, RFC 7435). */
  verifyCertificates: Type.Boolean({ default: false }),
  /** DKIM signing with keys made by `mailserver dkim keygen DOMAIN` (kept in <data>/dkim/). */
  dkim: Type.Object({
    enabled: Type.Boolean({ default: true }),
    selector: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*$', default: 'mail' }),
    /** Key folder; relative to the data directory. */
    keysDir: Type.String({ default: 'dkim' }),
  }, { default: {} }),
  bounce: Type.Object({
    /** The From: of delivery status notifications; default MAILER-DAEMON@<hostname>. */
    from: Type.Optional(Type.String()),
    /** Return the whole message with a bounce, or its headers only. */
    returnContent: Type.Union([Type.Literal('headers'), Type.Literal('full')], { default: 'headers' }),
  }, { default: {} }),
  /** LG-1: log files under <data>/logs/<node>/. */
  logs: Type.Object({
    /** Default: the node's name (`node.name`). */
    node: Type.Optional(Type.String({ minLength: 1 })),
    enabled: Type.Boolean({ default: true }),
    /** The send log with every command and reply (off: one line per transaction). */
    conversation: Type.Boolean({ default: false }),
  }, { default: {} }),
}, { default: {} });

export type DeliveryConfig = Static<typeof DeliveryConfig>;
