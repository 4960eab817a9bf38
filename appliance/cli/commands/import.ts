/**
 * mailserver import epost DIR [--message M]
 *
 * Migration from the original product: reads its files from DIR (effect.dat, mail.dat, the
 * gateway table, the alias list, the account TSV export, mailbox folders with IMS.CTL, list
 * member files, header.dat, the hidden-IP files) and makes ONE commit in the config repository:
 * a typed mailserver.config.ts with comments naming each part's source, the original files under
 * epost/, and the data snapshot of what was loaded into the store. Whatever could not be
 * translated is printed and listed in the commit message. See appliance/import/epost/.
 */
import fs from 'node:fs';
import { UsageError } from '../../../core/errors.ts';
import { socketPath } from '../../config-repo/control.ts';
import { defineGroup } from '../command.ts';
import { defaultAuthor } from '../../config-repo/repository.ts';
import { embeddedListKeys } from '../../config-repo/snapshot/read.ts';
import { importEpost } from '../../import/epost/import.ts';
import { openEmbeddedStore } from '../../store/embedded/index.ts';

export default defineGroup('import', 'migration from another mail server\'s files', {
  epost: {
    usage: 'import epost DIR',
    summary: 'imports the original product\'s files from DIR as one commit (config, original files, runtime data)',
    notes: ['Recognized in DIR: effect.dat, mail.dat, gateway.dat, alias.txt, *.tsv (accounts), header.dat,',
      'hiddensmtpip.dat, hiddenpopip.dat, hiddenimapip.dat, folders with IMS.CTL (mailboxes), lists/*.txt (members).'],
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const dir = positionals[0];
      const stores = openEmbeddedStore(dataDir);
      let r;
      try {
        r = await importEpost({ dir, dataDir, stores, listKeys: () => embeddedListKeys(dataDir), author: defaultAuthor() });
      } catch (err) {
        if (err instanceof Error && !(err instanceof UsageError) && err.name !== 'ConfigError' && !(err as NodeJS.ErrnoException).syscall) {
          throw new UsageError(`import epost ${dir}: ${err.message}`);
        }
        throw err;
      } finally {
        await stores.close();
      }
      const t = r.translation;
      ctx.io.out(`imported ${dir} as commit ${r.commit}`);
      if (fs.existsSync(socketPath(dataDir))) ctx.io.out(`  note: the appliance running on ${dataDir} keeps its config until it restarts (or: mailserver config rollback ${r.commit.slice(0, 10)})`);
      ctx.io.out(`  accounts: ${r.accounts.added} added, ${r.accounts.updated} updated; domains: ${t.domains.join(', ') || 'none'}`);
      ctx.io.out(`  aliases: ${t.aliases.length}; lists: ${t.lists.map((l) => `${l.key} (${l.members.length})`).join(', ') || 'none'}; auto-reply accounts: ${t.autoreply.length}`);
      ctx.io.out(`  relay rules: ${t.effect?.rules ?? 0}; filter rules: ${t.mailfilter?.rules ?? 0}; gateway rules: ${t.gateway?.rules ?? 0}`);
      for (const n of t.notes) ctx.io.out(`  note: ${n}`);
      if (!t.untranslated.length) return void ctx.io.out('everything was translated');
      ctx.io.out(`not translated (${t.untranslated.length}):`);
      for (const u of t.untranslated) ctx.io.out(`  - ${u}`);
    },
  },
});
