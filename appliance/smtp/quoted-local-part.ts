/**
 * RFC 5321 §4.1.2: a local part may be a quoted string, and a quoted string may hold an `@`
 * (`<"victim@remote.test"@local.test>`). smtp-server splits a MAIL/RCPT address at every `@` and
 * answers such an address `501 Bad recipient address syntax`. This wraps its address parser on
 * the appliance's own SMTPConnection subclass (appliance-server.ts): a quoted local part is
 * handed to it as a plain stand-in and put back afterwards (one that is a plain dot-string is
 * unquoted instead: `"bob"@x` is bob@x), so the address is looked up (and
 * refused or accepted) at the domain after its last `@`, which is how the appliance's code
 * takes an address apart everywhere (resolve-recipient.ts, the relay rules, the queue).
 */
import crypto from 'node:crypto';

type Parsed = { address?: string | false } | false;
type Parse = (this: unknown, name: string, command: Buffer | string) => Parsed;

/** `<"…"@`: a quoted-string local part (qtextSMTP or quoted-pairSMTP), at most 64 octets with its quotes. */
const QUOTED_LOCAL = /<("(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e]){0,62}")@/;

/** RFC 5321 §4.1.2 Dot-string: atoms of atext joined by single dots. */
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

const installed = new WeakSet<object>();

export function installQuotedLocalParts(target: object): void {
  if (installed.has(target)) return;
  installed.add(target);
  const proto = target as { _parseAddressCommand: Parse };
  const parse = proto._parseAddressCommand;
  proto._parseAddressCommand = function (name, command) {
    const text = command.toString();
    const m = QUOTED_LOCAL.exec(text);
    if (!m) return parse.call(this, name, command);
    // a quoted string that is a plain dot-string names the same mailbox unquoted (§4.1.2:
    // "bob" and bob are one local part): it is looked up unquoted
    const inner = m[1].slice(1, -1).replace(/\\(.)/g, '$1');
    if (DOT_STRING.test(inner)) return parse.call(this, name, text.replace(m[1], inner));
    const standIn = `q${crypto.randomBytes(8).toString('hex')}`;
    const parsed = parse.call(this, name, text.replace(m[1], standIn));
    if (parsed && typeof parsed.address === 'string') parsed.address = parsed.address.replace(standIn, m[1]);
    return parsed;
  };
}
