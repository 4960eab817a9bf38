/**
 * mailserver autoreply import DIR --account USER@DOMAIN
 *     reads a seed mailbox folder (IMS.CTL, AUTORPLY.TXT, NOREPLY.TXT, PERMITFROM.TXT, REPLIED.TXT
 *     and a ForwardTo=FILE: list) and prints the account's autoreply plugin settings for
 *     mailserver.config.ts. Nothing is written: the config is code, reviewed and committed.
 * mailserver autoreply replied USER@DOMAIN         — addresses the account auto-replied to
 * mailserver autoreply forget USER@DOMAIN [ADDRESS] — they get a reply again
 *
 * FW-1, FW-2, AR-1 (policies/ims-ctl.ts; plugin plugins/autoreply).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { defineGroup } from '../command.ts';
import { formatTable } from '../io.ts';
import { parseAddress, withStore } from '../values.ts';
import { importImsCtl } from '../../../policies/ims-ctl.ts';

/** A file of the folder, whatever the case of its name (the seed ran on Windows). */
function find(dir: string, name: string): string | null {
  const hit = fs.readdirSync(dir).find((f) => f.toLowerCase() === name.toLowerCase());
  return hit ? path.join(dir, hit) : null;
}

const read = (file: string | null) => (file ? fs.readFileSync(file) : undefined);

async function account(s: Parameters<Parameters<typeof withStore>[2]>[0], address: string) {
  const a = await s.accounts.get(parseAddress(address).address);
  if (!a) throw new UsageError(`no account ${address}`);
  return a;
}

export default defineGroup('autoreply', 'per-account auto-forward and auto-reply (the original\'s IMS.CTL; FW-1, FW-2, AR-1)', {
  import: {
    usage: 'autoreply import DIR --account USER@DOMAIN',
    summary: 'prints a mailbox folder\'s IMS.CTL and text files as autoreply settings for mailserver.config.ts',
    options: { account: { type: 'string' } },
    optionHelp: [['--account USER@DOMAIN', 'the account the folder belongs to (the key of the settings)']],
    positionals: [1, 1],
    async run({ positionals, values, ctx, dataDir }) {
      const dir = positionals[0];
      if (!values.account) throw new UsageError('--account USER@DOMAIN is needed: the settings are keyed by the account');
      const address = parseAddress(values.account as string).address;
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder`);
      const ctl = find(dir, 'IMS.CTL');
      if (!ctl) throw new UsageError(`${dir}: no IMS.CTL`);
      const r = importImsCtl({
        ctl: fs.readFileSync(ctl),
        autorply: read(find(dir, 'AUTORPLY.TXT')),
        noreply: read(find(dir, 'NOREPLY.TXT')),
        permitfrom: read(find(dir, 'PERMITFROM.TXT')),
        replied: read(find(dir, 'REPLIED.TXT')),
        // a Windows path of the original: looked for as given, then by its name in the folder
        forwardList: (p) => {
          if (fs.existsSync(p)) return fs.readFileSync(p);
          const local = find(dir, p.split(/[\\/]/).pop() ?? p);
          return local ? fs.readFileSync(local) : null;
        },
      });
      for (const w of r.warnings) ctx.io.err(`${ctl}: ${w}`);
      ctx.io.out(`// imported from ${dir}; goes under plugins: [{ name: 'autoreply', options: { accounts: { ... } } }]`);
      const body = JSON.stringify(r.settings, null, 2).split('\n').map((l, i) => (i ? `  ${l}` : l)).join('\n');
      ctx.io.out(`  ${JSON.stringify(address)}: ${body},`);
      if (!r.replied.length) return;
      // REPLIED.TXT is runtime data: it goes into the store (dated by the file), not the config
      const when = fs.statSync(find(dir, 'REPLIED.TXT')!).mtime;
      const recorded = await withStore(dataDir, 'existing', async (s) => {
        const id = (await account(s, address)).id;
        for (const a of r.replied) await s.autoreply.claimReply(id, a, { now: when, periodMs: 0, record: true, neverAgain: false });
        return r.replied.length;
      }).catch((err: Error) => {
        ctx.io.err(`REPLIED.TXT not recorded (${err.message}); its addresses: ${r.replied.join(', ')}`);
        return 0;
      });
      if (recorded) ctx.io.err(`recorded ${recorded} replied address${recorded === 1 ? '' : 'es'} from REPLIED.TXT for ${address}`);
    },
  },
  replied: {
    usage: 'autoreply replied USER@DOMAIN',
    summary: 'lists the addresses the account auto-replied to (RecordReplies, "do not reply again", the RFC 3834 period)',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const rows = await withStore(dataDir, 'existing', async (s) => s.autoreply.list((await account(s, positionals[0])).id));
      if (!rows.length) return void ctx.io.out('no replies recorded');
      const table = rows.map((r) => [r.address, r.lastReply.toISOString(), String(r.replies), r.recorded ? 'yes' : 'no', r.neverAgain ? 'yes' : 'no']);
      for (const line of formatTable(['ADDRESS', 'LAST REPLY', 'REPLIES', 'RECORDED', 'NEVER AGAIN'], table)) ctx.io.out(line);
    },
  },
  forget: {
    usage: 'autoreply forget USER@DOMAIN [ADDRESS]',
    summary: 'forgets replies to one address (or all): they get an auto-reply again',
    positionals: [1, 2],
    async run({ positionals, ctx, dataDir }) {
      const n = await withStore(dataDir, 'existing', async (s) => s.autoreply.forget((await account(s, positionals[0])).id, positionals[1]));
      ctx.io.out(`forgot ${n} address${n === 1 ? '' : 'es'}`);
    },
  },
});
