// STORE sequence-set [(UNCHANGEDSINCE modseq)] (+|-)FLAGS[.SILENT] (flags)   (RFC 3501 §6.4.6, RFC 7162 §3.1.3)
//   * n FETCH (FLAGS (...)) ... / OK | OK [MODIFIED set] | NO [READ-ONLY]
import { atom, BadArgument, list } from '../parser.ts';
import { compactSet } from '../mailbox/sequence.ts';
import { ok, R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import type { FlagMode } from '../../../core/store/ports.ts';
import { flagList, selected, messageSet } from './args.ts';

export const STORE: CommandSpec = {
  syntax: 'STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)',
  states: ['selected'],
  args: [3, 100],
  uid: true,
  holdExpunge: true,
  async run(s, cmd) {
    const sel = selected(s);
    const set = messageSet(s, cmd.args[0], cmd.uid);
    let i = 1;
    let unchangedSince: number | undefined;
    if (cmd.args[1].t === 'list') {
      const mods = list(cmd.args[i++]);
      const value = mods[1]?.t === 'atom' ? mods[1].v : '';
      if (mods.length !== 2 || mods[0].t !== 'atom' || mods[0].v.toUpperCase() !== 'UNCHANGEDSINCE' || !/^\d{1,20}$/.test(value)) {
        throw new BadArgument('Invalid store modifier');
      }
      unchangedSince = Number(value);
      s.enabled.add('CONDSTORE');
      sel.condstore = true;
    }
    const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atom(cmd.args[i++], 'store item'));
    if (!m) throw new BadArgument('Expected FLAGS, +FLAGS or -FLAGS');
    const flags = flagList(cmd.args.slice(i));
    if (sel.readOnly) return R.readOnly();
    const mode: FlagMode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
    const targets = sel.resolve(set.ranges, set.byUid).filter((t) => !sel.isExpunged(t.msg.uid));
    const { updated, failed } = await s.env.stores.folders.setFlags(sel.info.id, targets.map((t) => t.msg.uid), mode, flags, unchangedSince);
    sel.applyOwn(updated);
    const silent = !!m[2];
    // a keyword used for the first time is announced in * FLAGS before any FETCH shows it
    const out: string[] = sel.newFlagLines();
    for (const u of updated) {
      const idx = sel.indexOf(u.uid);
      if (idx < 0) continue;
      const msg = sel.messages[idx];
      const parts: string[] = [];
      if (cmd.uid) parts.push(`UID ${u.uid}`);
      if (!silent) parts.push(`FLAGS (${sel.flagsOf(msg).join(' ')})`);
      if (sel.condstore) parts.push(`MODSEQ (${u.modseq})`);
      if (!silent || sel.condstore) out.push(`* ${idx + 1} FETCH (${parts.join(' ')})\r\n`);
    }
    if (out.length) await s.send(out.join(''));
    if (failed.length) {
      const ids = cmd.uid ? failed : failed.map((u) => sel.indexOf(u) + 1);
      return ok('Some messages were modified', `MODIFIED ${compactSet(ids.sort((a, b) => a - b))}`);
    }
    return R.done(cmd.uid ? 'UID STORE' : 'STORE');
  },
};
