// CLOSE                                   (RFC 3501 §6.4.2)
//   removes \Deleted messages silently (read-write only), back to the authenticated state
// UNSELECT                                (RFC 3691): the same without removing anything
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { noArgs } from './args.ts';

export const CLOSE = command({
  syntax: 'CLOSE',
  states: ['selected'],
  args: [0, 0],
  parse: noArgs,
  async run(s) {
    const sel = s.selected!;
    s.select(null);
    if (!sel.readOnly) {
      await sel.refresh();
      const deleted = sel.messages.filter((m) => m.flags.includes('\\Deleted')).map((m) => m.uid);
      if (deleted.length) await s.env.stores.mail.expunge(sel.info.id, deleted);
    }
    return R.done('CLOSE');
  },
});

export const UNSELECT = command({
  syntax: 'UNSELECT',
  states: ['selected'],
  args: [0, 0],
  parse: noArgs,
  async run(s) {
    s.select(null);
    return R.done('UNSELECT');
  },
});
