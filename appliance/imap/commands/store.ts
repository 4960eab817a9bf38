// STORE sequence-set [(UNCHANGEDSINCE modseq)] (+|-)FLAGS[.SILENT] (flags)   (RFC 3501 §6.4.6, RFC 7162 §3.1.3)
//   * n FETCH (FLAGS (...)) ... / OK | OK [MODIFIED set] | NO [READ-ONLY]
import { atom, BadArgument, list, type Token } from '../parser.ts';
import { compactSet } from '../mailbox/sequence.ts';
import { ok, R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import type { FlagMode } from '../../../core/store/ports.ts';
import { flagList, messageSetArg, selected, setRanges, type MessageSet } from './args.ts';

export interface StoreArgs {
  set: MessageSet;
  /** RFC 7162 §3.1.3 UNCHANGEDSINCE. */
  unchangedSince?: number;
  mode: FlagMode;
  silent: boolean;
  flags: string[];
}

export function parseStore(args: Token[], ctx: ParseContext): StoreArgs {
  const set = messageSetArg(args[0], ctx);
  let i = 1;
  let unchangedSince: number | undefined;
  if (args[1].t === 'list') {
    const mods = list(args[i++]);
    const value = mods[1]?.t === 'atom' ? mods[1].v : '';
    if (mods.length !== 2 || mods[0].t !== 'atom' || mods[0].v.toUpperCase() !== 'UNCHANGEDSINCE' || !/^\d{1,20}$/.test(value)) {
      throw new BadArgument('Invalid store modifier');
    }
    unchangedSince = Number(value);
  }
  const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atom(args[i++], 'store item'));
  if (!m) throw new BadArgument('Expected FLAGS, +FLAGS or -FLAGS');
  const mode: FlagMode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
  return { set, unchangedSince, mode, silent: !!m[2], flags: flagList(args.slice(i)) };
}

export const STORE = command({
  syntax: 'STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)',
  states: ['selected'],
  args: [3, 100],
  uid: true,
  holdExpunge: true,
  // its own changes are applied to the view in place (applyOwn)
  readsView: true,
  parse: parseStore,
  async run(s, a, cmd) {
    const sel = selected(s);
    if (a.unchangedSince !== undefined) {
      s.enabled.add('CONDSTORE');
      sel.condstore = true;
    }
    if (sel.readOnly) return R.readOnly();
    const set = setRanges(sel, a.set);
    const targets = sel.resolve(set.ranges, set.byUid).filter((t) => !sel.isExpunged(t.msg.uid));
    const { updated, failed } = await s.env.stores.folders.setFlags(sel.info.id, targets.map((t) => t.msg.uid), a.mode, a.flags, a.unchangedSince);
    sel.applyOwn(updated);
    // a keyword used for the first time is announced in * FLAGS before any FETCH shows it
    const out: string[] = sel.newFlagLines();
    for (const u of updated) {
      const idx = sel.indexOf(u.uid);
      if (idx < 0 || (a.silent && !sel.condstore)) continue;
      out.push(U.flagFetch(idx + 1, {
        uid: cmd.uid ? u.uid : undefined,
        flags: a.silent ? undefined : sel.flagsOf(sel.messages[idx]),
        modseq: sel.condstore ? u.modseq : undefined,
      }));
    }
    if (out.length) await s.send(out.join(''));
    if (failed.length) {
      const ids = cmd.uid ? failed : failed.map((u) => sel.indexOf(u) + 1);
      return ok('Some messages were modified', `MODIFIED ${compactSet(ids.sort((a, b) => a - b))}`);
    }
    return R.done(cmd.uid ? 'UID STORE' : 'STORE');
  },
});
