/**
 * The inbound verification (check.ts: SPF, DKIM, DMARC) of one message, run on a work thread
 * (core/work.ts): DKIM's body hash walks every line of the message, seconds of CPU for a big
 * one, and on the protocol loop that stalls every other session of the process meanwhile.
 *
 * A task's input must be structured-cloneable, so the DNS resolver cannot be handed over: the
 * thread builds its own from the plugin's options and keeps it, one per set of options, for
 * the thread's life (a Resolver holds its own c-ares channel; one per message would waste it).
 */
import { promises as dns } from 'node:dns';
import { checkMessage, type MailAuthResult, type Resolver } from './check.ts';

export const VERIFY_TASK = { module: import.meta.url, name: 'verifyMessage' } as const;

/** The plugin's DNS options (cloneable): where and how long to ask. */
export interface DnsOptions {
  /** `ip` or `ip:port`; absent or empty: the system's. */
  servers?: string[];
  timeoutMs: number;
}

export interface VerifyInput {
  /** The whole message (moved to the thread, not copied). */
  message: Uint8Array;
  ip: string;
  helo: string;
  sender: string;
  mta: string;
  dns: DnsOptions;
}

/** Options (as JSON) -> resolver: module scope, so each thread keeps its own. */
const resolvers = new Map<string, Resolver>();

/** The resolver of these options, made at the first message that asks for it. */
export function resolverFor(o: DnsOptions): Resolver {
  const key = JSON.stringify([o.servers ?? [], o.timeoutMs]);
  let resolve = resolvers.get(key);
  if (!resolve) {
    const r = new dns.Resolver({ timeout: o.timeoutMs, tries: 2 });
    if (o.servers?.length) r.setServers(o.servers);
    resolve = (name: string, rr: string) => r.resolve(name, rr as 'TXT');
    resolvers.set(key, resolve);
  }
  return resolve;
}

/**
 * checkMessage's result, cloned back to the caller. A cloned DMARC result loses mailauth's
 * hidden (non-enumerable) authorMailboxes; nothing here reads it.
 */
export async function verifyMessage(input: VerifyInput): Promise<MailAuthResult> {
  const message = Buffer.from(input.message.buffer, input.message.byteOffset, input.message.byteLength);
  return checkMessage(message, { ip: input.ip, helo: input.helo, sender: input.sender, mta: input.mta, resolver: resolverFor(input.dns) });
}
