/**
 * The POP3 command table (DESIGN.md convention 2): one module a verb, keyed by the verb so
 * the compiler finds a missing one. The dispatcher checks state, TLS and arguments from here.
 */
import type { CommandSpec } from '../types.ts';
import { APOP } from './apop.ts';
import { AUTH } from './auth.ts';
import { CAPA } from './capa.ts';
import { DELE } from './dele.ts';
import { LIST } from './list.ts';
import { NOOP } from './noop.ts';
import { PASS } from './pass.ts';
import { QUIT } from './quit.ts';
import { RETR } from './retr.ts';
import { RSET } from './rset.ts';
import { STAT } from './stat.ts';
import { STLS } from './stls.ts';
import { TOP } from './top.ts';
import { UIDL } from './uidl.ts';
import { USER } from './user.ts';

export const VERBS = ['USER', 'PASS', 'APOP', 'AUTH', 'STLS', 'CAPA', 'STAT', 'LIST', 'UIDL', 'RETR', 'TOP', 'DELE', 'RSET', 'NOOP', 'QUIT'] as const;
export type Verb = (typeof VERBS)[number];

export const COMMANDS: Record<Verb, CommandSpec> = {
  USER, PASS, APOP, AUTH, STLS, CAPA, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT,
};

export function isVerb(word: string): word is Verb {
  return Object.hasOwn(COMMANDS, word);
}
