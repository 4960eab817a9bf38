/**
 * Store interfaces (ports), one file per port in ./ports/. The embedded store (SQLite + files)
 * implements them in appliance/store/embedded, the cluster store (PostgreSQL) in
 * appliance/store/postgres, with the same file name for the same port. Methods are async so that
 * a networked implementation fits the same shape. This file re-exports them all.
 */
export type * from './ports/accounts.ts';
export type * from './ports/domains.ts';
export type * from './ports/aliases.ts';
export type * from './ports/mail.ts';
export type * from './ports/folders.ts';
export type * from './ports/queue.ts';
export type * from './ports/lists.ts';
export type * from './ports/autoreply-state.ts';
export type * from './ports/refused-ips.ts';
export type * from './ports/session-locks.ts';
export type * from './ports/stores.ts';
