/**
 * The IMAP command table (DESIGN.md convention 2): one module a verb, keyed by the verb so
 * the compiler finds a missing one. The dispatcher checks state, TLS and argument counts here.
 */
import type { CommandSpec } from '../types.ts';
import { DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, SETACL } from './acl.ts';
import { APPEND } from './append.ts';
import { AUTHENTICATE } from './authenticate.ts';
import { CAPABILITY } from './capability.ts';
import { CLOSE, UNSELECT } from './close.ts';
import { COMPRESS } from './compress.ts';
import { COPY, MOVE } from './copy.ts';
import { CREATE } from './create.ts';
import { DELETE } from './delete.ts';
import { EXPUNGE } from './expunge.ts';
import { FETCH } from './fetch.ts';
import { IDLE } from './idle.ts';
import { LIST, LSUB } from './list.ts';
import { LOGIN } from './login.ts';
import { LOGOUT } from './logout.ts';
import { ENABLE, ID, NAMESPACE } from './misc.ts';
import { CHECK, NOOP } from './noop.ts';
import { GETQUOTA, GETQUOTAROOT, SETQUOTA } from './quota.ts';
import { RENAME } from './rename.ts';
import { SEARCH } from './search.ts';
import { SORT, THREAD } from './sort.ts';
import { EXAMINE, SELECT } from './select.ts';
import { STARTTLS } from './starttls.ts';
import { STATUS } from './status.ts';
import { STORE } from './store.ts';
import { SUBSCRIBE, UNSUBSCRIBE } from './subscribe.ts';

export const VERBS = [
  'CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'AUTHENTICATE', 'LOGIN', 'SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'RENAME',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'STATUS', 'APPEND', 'CHECK', 'CLOSE', 'UNSELECT', 'EXPUNGE', 'SEARCH', 'FETCH',
  'STORE', 'COPY', 'MOVE', 'IDLE', 'NAMESPACE', 'ID', 'ENABLE', 'GETQUOTA', 'GETQUOTAROOT', 'SETQUOTA', 'SORT', 'THREAD',
  'MYRIGHTS', 'GETACL', 'LISTRIGHTS', 'SETACL', 'DELETEACL', 'COMPRESS',
] as const;
export type Verb = (typeof VERBS)[number];

export const COMMANDS: Record<Verb, CommandSpec> = {
  CAPABILITY, NOOP, LOGOUT, STARTTLS, AUTHENTICATE, LOGIN, SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
  LIST, LSUB, STATUS, APPEND, CHECK, CLOSE, UNSELECT, EXPUNGE, SEARCH, FETCH, STORE, COPY, MOVE, IDLE, NAMESPACE, ID, ENABLE,
  GETQUOTA, GETQUOTAROOT, SETQUOTA, SORT, THREAD, MYRIGHTS, GETACL, LISTRIGHTS, SETACL, DELETEACL, COMPRESS,
};

export function isVerb(word: string): word is Verb {
  return Object.hasOwn(COMMANDS, word);
}
