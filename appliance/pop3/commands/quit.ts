// QUIT                 (RFC 1939 §§4, 6)
//   In AUTHORIZATION: +OK and close. In TRANSACTION: the UPDATE state removes the messages
//   marked as deleted, then +OK (or -ERR [SYS/TEMP] when that failed) and close. A connection
//   that ends any other way removes nothing.
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const QUIT: CommandSpec = {
  syntax: 'QUIT',
  states: ['AUTHORIZATION', 'TRANSACTION'],
  args: [],
  async run(s) {
    const host = s.env.hostname;
    if (s.state === 'AUTHORIZATION') return s.end(R.bye(host));
    const drop = s.drop();
    const uids = drop.deletedUids();
    if (!uids.length || !drop.mailbox) return s.end(R.bye(host));
    try {
      const { removed } = await s.env.stores.mail.expunge(drop.mailbox.id, uids);
      s.conn.log.info({ user: s.conn.user?.address, removed: removed.length }, 'pop3 update');
      await s.end(R.byeUpdated(host, removed.length));
    } catch (err) {
      s.conn.log.error({ err, user: s.conn.user?.address }, 'pop3 update failed');
      await s.end(R.expungeFailed());
    }
  },
};
