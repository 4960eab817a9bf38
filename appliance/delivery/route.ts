/**
 * Routing of a destination domain (TX-3 … TX-5): hosted domains are delivered locally (unless
 * all mail goes to the gateway, TX-5); the gateway table's first match, else the global
 * gateway, else the domain's MX hosts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeliveryConfig } from '../../core/config/delivery.ts';
import { matchGateway, parseGatewaySpec, parseGatewayTable, type GatewayRule } from '../../policies/gateway-table.ts';
import { DestinationError, type MxHost, type MxResolver } from './mx.ts';
import type { Target } from './smtp-client.ts';

export type Route =
  | { kind: 'local' }
  | { kind: 'gateway'; host: string; port: number; tls: boolean; rule: string }
  | { kind: 'mx' };

export interface Router {
  route(domain: string, hosted: boolean): Route;
}

/** The gateway rules of the config, then those of `gatewayTableFile` (relative to `baseDir`). */
export function loadGatewayRules(config: DeliveryConfig, baseDir: string): GatewayRule[] {
  const rules = [...config.gatewayTable];
  if (config.gatewayTableFile) {
    const file = path.resolve(baseDir, config.gatewayTableFile);
    try {
      rules.push(...parseGatewayTable(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`delivery.gatewayTableFile ${file}: ${(err as Error).message}`);
    }
  }
  return rules;
}

export function createRouter(config: DeliveryConfig, rules: GatewayRule[]): Router {
  const gateway = config.gateway ? parseGatewaySpec(config.gateway) : null;
  if (config.forwardAllToGateway && !gateway && !rules.length) {
    throw new Error('delivery.forwardAllToGateway needs delivery.gateway (or a gateway table)');
  }
  return {
    route(domain, hosted) {
      if (hosted && !config.forwardAllToGateway) return { kind: 'local' };
      const rule = matchGateway(rules, domain);
      if (rule) return { kind: 'gateway', host: rule.host, port: rule.port, tls: rule.tls, rule: `table ${rule.domain}` };
      if (gateway) return { kind: 'gateway', host: gateway.host, port: gateway.port ?? config.port, tls: gateway.tls, rule: 'gateway' };
      return { kind: 'mx' };
    },
  };
}

/** The addresses to try for a remote route, in order; DestinationError when there are none. */
export async function targetsFor(route: Exclude<Route, { kind: 'local' }>, domain: string, resolver: MxResolver, config: DeliveryConfig): Promise<{ targets: Target[]; mx: MxHost[] }> {
  if (route.kind === 'gateway') {
    const addresses = await resolver.addresses(route.host);
    if (!addresses.length) throw new DestinationError(`gateway ${route.host} has no address`, false, '4.4.3');
    return { targets: addresses.map((address) => ({ host: route.host, address, port: route.port, tls: route.tls, auth: config.auth })), mx: [] };
  }
  const mx = await resolver.mxHosts(domain);
  const targets: Target[] = [];
  for (const m of mx) {
    m.addresses ??= await resolver.addresses(m.host);
    for (const address of m.addresses) targets.push({ host: m.host, address, port: config.port, tls: false });
  }
  if (!targets.length) {
    // RFC 5321 §5.1: only the implicit MX (the domain itself) without an address means "no such domain"
    const implicit = mx.length === 1 && mx[0].host === domain;
    throw new DestinationError(`no address for ${mx.map((m) => m.host).join(', ')}`, implicit, implicit ? '5.1.2' : '4.4.3');
  }
  return { targets, mx };
}
