/**
 * IMAP command syntax (RFC 3501 §9): a tag, a verb and arguments made of atoms, quoted
 * strings, literals (`{n}` / `{n+}` RFC 7888, literal8 `~{n}` RFC 3516) and parenthesized lists. The reader has already
 * framed the command, literals included, so this works on one complete Buffer.
 */

export type Token =
  | { t: 'atom'; v: string }
  /** `binary`: a literal8 `~{n}` (RFC 3516 §4.2), which may carry NULs. */
  | { t: 'string'; v: Buffer; literal: boolean; binary?: boolean }
  | { t: 'list'; v: Token[] };

export interface ParsedCommand {
  tag: string;
  verb: string;
  args: Token[];
}

/** A command that cannot be parsed; `tag` is set when the tag itself was readable. */
export class ParseError extends Error {
  constructor(message: string, readonly tag: string | null = null) {
    super(message);
  }
}

const SP = 0x20;
const MAX_NESTING = 32;
const CR = 0x0d;
const LF = 0x0a;
/** RFC 3501 atom-specials, except `]` which resp-specials allows inside atoms here. */
const isAtomChar = (c: number) => c > SP && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x22;

/** The fetch attributes whose atom goes on with a `[section]` (RFC 3501 §9 fetch-att, RFC 3516). */
const SECTION_ITEM = /^(?:BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)$/i;

/** Tag: ATOM-CHAR except "+" (RFC 3501 §9 `tag`). */
const TAG = /^[\x21\x23-\x27\x2a\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/;

export function parseCommand(buf: Buffer): ParsedCommand {
  const first = buf.indexOf(SP);
  const tag = (first < 0 ? buf : buf.subarray(0, first)).toString('latin1');
  if (!TAG.test(tag)) throw new ParseError('Invalid tag');
  if (first < 0) throw new ParseError('Missing command', tag);
  const p = new Parser(buf, first + 1, tag);
  const verbTok = p.token();
  if (!verbTok || verbTok.t !== 'atom' || !/^[A-Za-z]+$/.test(verbTok.v)) throw new ParseError('Invalid command', tag);
  const args: Token[] = [];
  while (!p.done()) {
    p.space();
    const tok = p.token();
    if (!tok) throw new ParseError('Unexpected character', tag);
    args.push(tok);
  }
  return { tag, verb: verbTok.v.toUpperCase(), args };
}

class Parser {
  constructor(private readonly b: Buffer, private i: number, private readonly tag: string) {}

  done(): boolean {
    return this.i >= this.b.length;
  }

  fail(msg: string): never {
    throw new ParseError(msg, this.tag);
  }

  space(): void {
    if (this.b[this.i] !== SP) this.fail('Expected a space');
    this.i++;
  }

  token(): Token | null {
    const c = this.b[this.i];
    if (c === 0x22) return this.quoted();
    if (c === 0x7b) return this.literal();
    if (c === 0x7e && this.b[this.i + 1] === 0x7b) {
      this.i++;
      return { ...this.literal(), binary: true };
    }
    if (c === 0x28) return this.list();
    if (c !== undefined && isAtomChar(c)) return this.atom();
    return null;
  }

  private atom(): Token {
    const start = this.i;
    while (this.i < this.b.length) {
      const c = this.b[this.i];
      if (c === 0x5b && SECTION_ITEM.test(this.b.toString('latin1', start, this.i))) {
        // BODY[HEADER.FIELDS (A B)]<0.10>: the section may hold spaces and parentheses; elsewhere
        // "[" is an ordinary ATOM-CHAR (a mailbox named "[}" is a well-formed atom)
        const close = this.b.indexOf(0x5d, this.i);
        if (close < 0) this.fail('Missing ]');
        this.i = close + 1;
        continue;
      }
      if (!isAtomChar(c)) break;
      this.i++;
    }
    return { t: 'atom', v: this.b.subarray(start, this.i).toString('latin1') };
  }

  private quoted(): Token {
    this.i++;
    const out: number[] = [];
    for (;;) {
      if (this.i >= this.b.length) this.fail('Unterminated quoted string');
      const c = this.b[this.i++];
      if (c === 0x22) break;
      if (c === CR || c === LF) this.fail('CR/LF in a quoted string');
      if (c === 0x5c) {
        const n = this.b[this.i++];
        if (n !== 0x22 && n !== 0x5c) this.fail('Invalid escape in a quoted string');
        out.push(n);
      } else out.push(c);
    }
    return { t: 'string', v: Buffer.from(out), literal: false };
  }

  private literal(): Extract<Token, { t: 'string' }> {
    const m = /^\{(\d{1,10})(\+?)\}\r?\n/.exec(this.b.subarray(this.i, this.i + 16).toString('latin1'));
    if (!m) this.fail('Invalid literal');
    const size = Number(m[1]);
    this.i += m[0].length;
    if (this.i + size > this.b.length) this.fail('Short literal');
    const v = this.b.subarray(this.i, this.i + size);
    this.i += size;
    return { t: 'string', v, literal: true };
  }

  private depth = 0;

  private list(): Token {
    // nesting is bounded so that a hostile line cannot exhaust the stack
    if (++this.depth > MAX_NESTING) this.fail('Lists nested too deeply');
    this.i++;
    const items: Token[] = [];
    for (;;) {
      if (this.i >= this.b.length) this.fail('Unterminated list');
      if (this.b[this.i] === 0x29) {
        this.i++;
        this.depth--;
        return { t: 'list', v: items };
      }
      if (items.length) this.space();
      const tok = this.token();
      if (!tok) this.fail('Unexpected character in a list');
      items.push(tok);
    }
  }
}

/** Argument helpers: each throws ParseError-compatible BadArgument on a wrong shape. */
export class BadArgument extends Error {}

export function astring(tok: Token | undefined, what = 'argument'): string {
  if (tok?.t === 'atom') return tok.v;
  if (tok?.t === 'string') return tok.v.toString('utf8');
  throw new BadArgument(`Expected ${what}`);
}

export function atom(tok: Token | undefined, what = 'argument'): string {
  if (tok?.t === 'atom') return tok.v;
  throw new BadArgument(`Expected ${what}`);
}

export function list(tok: Token | undefined, what = 'list'): Token[] {
  if (tok?.t === 'list') return tok.v;
  throw new BadArgument(`Expected ${what}`);
}
