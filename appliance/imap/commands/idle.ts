// IDLE                                    (RFC 2177)
//   "+ idling", then unsolicited EXISTS/EXPUNGE/FETCH as changes happen, until the client
//   sends DONE; then OK. Changes arrive through the store's ChangeNotifier; the mailbox is
//   also re-read every idlePollMs for changes made by other processes.
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { noArgs } from './args.ts';

export const IDLE = command({
  syntax: 'IDLE',
  states: ['auth', 'selected'],
  args: [0, 0],
  // what was heard while idling is sent as it comes (the loop below): after DONE only a change
  // heard since needs the view re-read
  readsView: true,
  parse: noArgs,
  async run(s) {
    await s.send(R.idling());
    let line: Buffer | null | undefined;
    const reading = s.readLine().then((l) => (line = l));
    while (line === undefined && !s.closed) {
      await Promise.race([reading, s.waitChange(s.env.limits.idlePollMs)]);
      if (line === undefined && s.selected) await s.flushUpdates(true);
    }
    if (line === null || line === undefined) return null;
    if (line.toString('latin1').trim().toUpperCase() !== 'DONE') return R.idleBad();
    return R.done('IDLE');
  },
});
