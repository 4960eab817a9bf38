/**
 * `admin.console`: the operator console under `/admin/` on the HTTP(S) listener
 * (appliance/console), for the config admins (`admin.users`).
 */
import { Type } from '@sinclair/typebox';

export const ConsoleConfig = Type.Object({
  /** Serve the console (in the lead worker, beside `/config.git/`). */
  enabled: Type.Boolean({ default: true }),
  /** A session unused for this long is logged out. */
  idleMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 30 }),
  /** Sessions kept at once (logged in or not); beyond it the least recently used is dropped. */
  maxSessions: Type.Integer({ minimum: 10, maximum: 100_000, default: 1000 }),
  /** Largest form body accepted (the config editor's file is the big one). */
  maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 16 << 20, default: 1 << 20 }),
  /**
   * The dashboard's activity reads each node's receive and delivery log from its end back to the
   * window's start, at most this many bytes a file; a busier window is undercounted in its oldest
   * minutes (the page says so). Bounds the time and memory of one dashboard view.
   */
  activityScanBytes: Type.Integer({ minimum: 64 << 10, maximum: 1 << 30, default: 64 << 20 }),
}, { default: {} });
