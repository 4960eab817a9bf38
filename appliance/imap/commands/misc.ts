// NAMESPACE                               (RFC 2342): personal "" and shared "#Shared/" (IM-2)
//   * NAMESPACE (("" "/")) NIL (("#Shared/" "/"))
// ID (field value ...) | NIL              (RFC 2971)
//   * ID ("name" "mailserver" ...)
// ENABLE capability ...                   (RFC 5161): CONDSTORE, QRESYNC (RFC 7162), IMAP4rev2 (RFC 9051),
//                                         UTF8=ACCEPT (RFC 6855, utf8-accept.ts)
//   * ENABLED CONDSTORE
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { UTF8_ACCEPT } from '../utf8-accept.ts';
import { rawArgs } from './args.ts';

export const NAMESPACE: CommandSpec = {
  syntax: 'NAMESPACE',
  states: ['auth', 'selected'],
  args: [0, 0],
  parse: rawArgs,
  async run(s) {
    await s.send('* NAMESPACE (("" "/")) NIL (("#Shared/" "/"))\r\n');
    return R.done('NAMESPACE');
  },
};

export const ID: CommandSpec = {
  syntax: 'ID (field value ...) | NIL',
  states: ['notauth', 'auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const a = cmd.args[0];
    if (!(a.t === 'list' && a.v.length % 2 === 0 && a.v.length <= 60) && !(a.t === 'atom' && a.v.toUpperCase() === 'NIL')) {
      return R.syntax('ID (field value ...) | NIL');
    }
    await s.send('* ID ("name" "mailserver" "vendor" "mailserver appliance")\r\n');
    return R.done('ID');
  },
};

/** What can be enabled, upper-cased, with its spelling in `* ENABLED`. */
const ENABLEABLE = new Map([['CONDSTORE', 'CONDSTORE'], ['QRESYNC', 'QRESYNC'], ['IMAP4REV2', 'IMAP4rev2'], [UTF8_ACCEPT, UTF8_ACCEPT]]);

export const ENABLE: CommandSpec = {
  syntax: 'ENABLE capability ...',
  states: ['auth', 'selected'],
  args: [1, 20],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const now: string[] = [];
    for (const t of cmd.args) {
      const cap = t.t === 'atom' ? t.v.toUpperCase() : '';
      if (ENABLEABLE.has(cap) && !s.enabled.has(cap)) {
        s.enabled.add(cap);
        now.push(ENABLEABLE.get(cap)!);
      }
    }
    // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3)
    if (s.enabled.has('QRESYNC')) s.enabled.add('CONDSTORE');
    // a selected mailbox learns of CONDSTORE after the command, with its HIGHESTMODSEQ (dispatch)
    if (s.selected && s.enabled.has('QRESYNC')) s.selected.qresync = true;
    if (s.selected && s.enabled.has('IMAP4REV2')) s.selected.rev2 = true;
    await s.send(`* ENABLED${now.map((c) => ` ${c}`).join('')}\r\n`);
    return R.done('ENABLE');
  },
};
