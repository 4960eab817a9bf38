/**
 * Where a recipient goes: a local account (after aliases, AL-1), a remote address (relay or
 * an alias that forwards out), or nowhere (unknown user in a hosted domain).
 */
import { expandAliases } from '../../policies/alias.ts';
import type { Account } from '../../core/store/ports.ts';
import type { DirectorySnapshot } from './directory-cache.ts';

export type Resolution =
  | { kind: 'local'; account: Account; deliveredTo: string; via: string[] }
  | { kind: 'remote'; address: string; deliveredTo: string; viaAlias: boolean }
  | { kind: 'unknown'; address: string };

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function isHostedDomain(dir: DirectorySnapshot, address: string): boolean {
  return dir.domains.has(domainOf(address));
}

export function resolveRecipient(dir: DirectorySnapshot, recipient: string): Resolution {
  const lower = recipient.toLowerCase();
  if (!isHostedDomain(dir, lower)) return { kind: 'remote', address: recipient, deliveredTo: recipient, viaAlias: false };
  const expansion = expandAliases(dir.aliases, lower, (a) => dir.accounts.has(a.toLowerCase()));
  const final = expansion.address.toLowerCase();
  const account = dir.accounts.get(final);
  if (account) return { kind: 'local', account, deliveredTo: expansion.envelopeRecipient, via: expansion.path };
  if (!isHostedDomain(dir, final)) {
    return { kind: 'remote', address: expansion.address, deliveredTo: expansion.envelopeRecipient, viaAlias: true };
  }
  return { kind: 'unknown', address: recipient };
}
