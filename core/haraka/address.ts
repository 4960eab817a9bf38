/**
 * Envelope addresses as Haraka 3.3 gives them to plugins: `@haraka/email-address` Address
 * objects (`.address`, `.user`, `.host` are properties), and ESMTP parameters with upper-case
 * keys and string-or-null values (rfc1869 `SIZE=123` -> { SIZE: '123' }, `SMTPUTF8` -> null).
 */
import { emailAddress, type Address } from './modules.ts';

const { Address: AddressClass } = emailAddress;

/** The Address for `user@domain` ('' is the null sender <>). Never throws. */
export function toAddress(address: string): Address {
  const wrapped = `<${address}>`;
  for (const opts of [undefined, { postel: true }]) {
    try {
      return new AddressClass(wrapped, opts);
    } catch {
      // not RFC 5321 clean: try the permissive parse, then build it by hand
    }
  }
  // smtp-server accepts more than RFC 5321; build the object without validation so a plugin
  // still sees user/host/address.
  const at = address.lastIndexOf('@');
  return Object.assign(Object.create(AddressClass.prototype) as Address, {
    user: at < 0 ? address : address.slice(0, at),
    host: at < 0 ? '' : address.slice(at + 1).toLowerCase(),
    original_host: at < 0 ? '' : address.slice(at + 1),
    original: wrapped,
    phrase: '',
    comment: '',
    group: null,
  });
}

/** Core ESMTP params -> Haraka's: upper-case keys, `true` (a bare keyword) -> null. */
export function toHarakaParams(params: Record<string, string | boolean> | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === false) continue;
    out[k.toUpperCase()] = v === true ? null : String(v);
  }
  return out;
}
