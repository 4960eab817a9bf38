/**
 * Where a recipient goes: a local account (after aliases, AL-1), a remote address (relay or
 * an alias that forwards out), or nowhere (unknown user in a hosted domain).
 */
import { expandAliases } from '../../policies/alias.ts';
import type { Account } from '../../core/store/ports.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import type { DirectorySnapshot } from './directory-cache.ts';
import { withAsciiDomain } from './idn-domain.ts';

export type Resolution =
  | { kind: 'local'; account: Account; deliveredTo: string; via: string[] }
  | { kind: 'remote'; address: string; deliveredTo: string; viaAlias: boolean }
  | { kind: 'unknown'; address: string };

/** RFC 5321 §4.5.1 routing of postmaster (smtp.postmasterAddress, smtp.postmasterOnlyWhenCreated). */
export interface PostmasterRouting {
  address?: string;
  onlyWhenCreated: boolean;
}

export function postmasterRouting(config: Pick<AppConfig, 'smtp'>): PostmasterRouting {
  return { address: config.smtp.postmasterAddress, onlyWhenCreated: config.smtp.postmasterOnlyWhenCreated };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function isHostedDomain(dir: DirectorySnapshot, address: string): boolean {
  return dir.domains.has(domainOf(address));
}

/** `postmaster`, any case, with or without a domain (RFC 5321 §4.5.1: case-insensitive). */
export function isPostmaster(address: string): boolean {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).toLowerCase() === 'postmaster';
}

/**
 * The mailbox a bare `RCPT TO:<Postmaster>` stands for: postmaster@<hostname> when the hostname is
 * a hosted domain, else postmaster of the first hosted domain by name; null with no hosted domain.
 */
export function barePostmaster(dir: DirectorySnapshot, hostname: string): string | null {
  const host = hostname.toLowerCase();
  const domain = dir.domains.has(host) ? host : [...dir.domains.keys()].sort()[0];
  return domain ? `postmaster@${domain}` : null;
}

export function resolveRecipient(dir: DirectorySnapshot, recipient: string, postmaster?: PostmasterRouting): Resolution {
  // an IDN domain is hosted under its A-label (idn-domain.ts)
  const lower = withAsciiDomain(recipient).toLowerCase();
  if (!isHostedDomain(dir, lower)) return { kind: 'remote', address: recipient, deliveredTo: recipient, viaAlias: false };
  const expansion = expandAliases(dir.aliases, lower, (a) => dir.accounts.has(a.toLowerCase()));
  const final = expansion.address.toLowerCase();
  const account = dir.accounts.get(final);
  if (account) return { kind: 'local', account, deliveredTo: expansion.envelopeRecipient, via: expansion.path };
  if (!isHostedDomain(dir, final)) {
    return { kind: 'remote', address: expansion.address, deliveredTo: expansion.envelopeRecipient, viaAlias: true };
  }
  if (postmaster && !postmaster.onlyWhenCreated && isPostmaster(lower)) return routePostmaster(dir, lower, postmaster);
  return { kind: 'unknown', address: recipient };
}

/** A postmaster nobody created: the configured address, else the domain's admin, else its first account. */
function routePostmaster(dir: DirectorySnapshot, recipient: string, routing: PostmasterRouting): Resolution {
  const domain = domainOf(recipient);
  const candidates: string[] = [];
  if (routing.address) candidates.push(routing.address);
  const admin = dir.domains.get(domain)?.admin;
  if (admin) candidates.push(admin.includes('@') ? admin : `${admin}@${domain}`);
  const first = [...dir.accounts.values()].filter((a) => a.domain === domain).sort((a, b) => a.id - b.id)[0];
  if (first) candidates.push(`${first.name}@${first.domain}`);
  for (const target of candidates) {
    // without the postmaster routing: a target that is itself an unknown postmaster is nobody
    const where = resolveRecipient(dir, target);
    if (where.kind === 'local') return { ...where, deliveredTo: recipient, via: [recipient, ...where.via] };
    if (where.kind === 'remote') return { kind: 'remote', address: where.address, deliveredTo: where.deliveredTo, viaAlias: true };
  }
  return { kind: 'unknown', address: recipient };
}
