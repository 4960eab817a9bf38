/**
 * IDN domains in addresses (RFC 6531 §3.2, RFC 5890 §2.3.2.1): a U-label domain (`例え.test`) and
 * its A-label (`xn--r8jz45g.test`) name one domain. Hosted domains are stored in their ASCII
 * (A-label) form, so an SMTPUTF8 address is looked up with its domain converted; the local part
 * is left as sent (UTF-8 local parts are matched as they are, RFC 6531 §3.2).
 */
import { domainToASCII } from 'node:url';
import { NON_ASCII } from '../../core/ascii.ts';

/** `local@domain` with the domain as its A-label; the address unchanged when it is ASCII or not an IDN. */
export function withAsciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const domain = address.slice(at + 1);
  if (!NON_ASCII.test(domain)) return address;
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at + 1)}${ascii}` : address;
}
