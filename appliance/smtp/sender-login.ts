/**
 * smtp.senderLoginMatch (Postfix `reject_sender_login_mismatch`): an authenticated session may use
 * as MAIL FROM only its own account's address and that account's aliases (an exact alias, or a
 * domain alias `*@other → *@domain` that maps the address onto the account), or the null sender.
 * A catch-all (`*@domain → someone`) does not make every address of the domain someone's.
 */
import { expandAliases } from '../../policies/alias.ts';
import type { DirectorySnapshot } from '../recipients/directory-cache.ts';

const isCatchAll = (r: { alias: string; target: string }) => r.alias.startsWith('*@') && !r.target.startsWith('*@');

export function ownsSender(dir: DirectorySnapshot, account: string, sender: string): boolean {
  const lower = sender.toLowerCase();
  const own = account.toLowerCase();
  if (!lower || lower === own) return true;
  let expansion;
  try {
    expansion = expandAliases(dir.aliases, lower, (a) => dir.accounts.has(a.toLowerCase()));
  } catch {
    return false; // an alias loop owns nothing
  }
  return expansion.address.toLowerCase() === own && !expansion.rules.some(isCatchAll);
}
