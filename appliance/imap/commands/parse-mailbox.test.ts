// Table tests of the mailbox and session commands' parsers (SELECT, STATUS, LIST, CREATE, …):
// argument text in, typed arguments or the BAD's text out.
import t from 'tap';
import { parseArgs, refusal } from './parse-table.ts';
import { STATUS } from './status.ts';

t.test('STATUS', async (t) => {
  t.same(parseArgs(STATUS, 'inbox (MESSAGES UIDNEXT)'), { name: 'INBOX', items: ['MESSAGES', 'UIDNEXT'] });
  t.same(parseArgs(STATUS, '"Entw&APw-rfe" (size deleted)'), { name: 'Entwürfe', items: ['SIZE', 'DELETED'] }, 'modified UTF-7 name');
  t.same(parseArgs(STATUS, '"Entw&APw-rfe" (UNSEEN)', { utf8Names: true }).name, 'Entw&APw-rfe', 'UTF-8 names taken as they are');
  t.match(refusal(STATUS, 'INBOX ()'), /status item/);
  t.match(refusal(STATUS, 'INBOX (MESSAGES BOGUS)'), /status item/);
  t.match(refusal(STATUS, 'INBOX MESSAGES'), /Expected status items/);
});
