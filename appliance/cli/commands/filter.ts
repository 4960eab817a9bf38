/**
 * mailserver filter import FILE      — reads a seed mail.dat (UTF-8 or Shift_JIS) and prints its
 *                                      rules as mailfilter options for mailserver.config.ts
 * mailserver filter refused           — lists the client IPs the mail filter refused at runtime
 * mailserver filter unrefuse IP       — takes an IP off that list
 *
 * MF-1 … MF-3. Parse warnings name the line; nothing is written to the config.
 */
import fs from 'node:fs';
import { UsageError } from '../../../core/errors.ts';
import { defineGroup } from '../command.ts';
import { withStore } from '../values.ts';
import { parseMailDat } from '../../../policies/mail-dat.ts';
import { decodeMailDatBytes } from '../../../plugins/mailfilter/load.ts';
import { commitRefusedIps, hasRepository } from '../../config-repo/snapshot/refused-history.ts';
import { defaultAuthor } from '../../config-repo/repository.ts';

export default defineGroup('filter', 'the mail filter (mail.dat, MF-1 … MF-3) and its refused IPs', {
  import: {
    usage: 'filter import FILE',
    summary: 'prints the rules of a mail.dat file as mailfilter options for mailserver.config.ts',
    positionals: [1, 1],
    async run({ positionals, ctx }) {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(positionals[0]);
      } catch (err) {
        throw new UsageError(`cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const parsed = parseMailDat(decodeMailDatBytes(bytes));
      for (const w of parsed.warnings) ctx.io.err(`${positionals[0]}: ${w}`);
      ctx.io.out(`// mailfilter rules imported from ${positionals[0]}`);
      ctx.io.out(`{ name: 'mailfilter', options: { rules: ${JSON.stringify(parsed.rules, null, 2)} } },`);
    },
  },
  refused: {
    usage: 'filter refused',
    summary: 'lists the client IPs refused at runtime (Level xx1), with when and why',
    positionals: [0, 0],
    async run({ ctx, dataDir }) {
      const list = await withStore(dataDir, 'existing', (s) => s.refusedIps!.list());
      for (const r of list) ctx.io.out(`${r.ip}\t${r.added.toISOString()}\t${r.reason}`);
    },
  },
  unrefuse: {
    usage: 'filter unrefuse IP',
    summary: 'takes an IP off the runtime refused list',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const removed = await withStore(dataDir, 'existing', (s) => s.refusedIps!.remove(positionals[0]));
      if (!removed) throw new UsageError(`${positionals[0]} is not on the refused list`);
      ctx.io.out(`${positionals[0]} removed`);
      // the removal goes into the config history too (data/refused-ips.txt)
      if (hasRepository(dataDir)) {
        const oid = await withStore(dataDir, 'existing', (st) => commitRefusedIps(dataDir, st.refusedIps!, `unrefuse ${positionals[0]}`, defaultAuthor()));
        if (oid) ctx.io.out(`committed ${oid.slice(0, 7)} (data/refused-ips.txt)`);
      }
    },
  },
});
