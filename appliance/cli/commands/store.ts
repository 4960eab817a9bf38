/**
 * mailserver store migrate --to postgres://USER:PASSWORD@HOST:PORT/DB [--data DIR]
 *
 * Moves an embedded install (the data directory's SQLite database and message files) into an
 * empty PostgreSQL database for the cluster store (CL-1), verifies the row counts and message
 * bytes, and prints how to switch the config. Stop the appliance first: mail accepted during
 * the copy would stay behind in the embedded store.
 */
import { UsageError } from '../../../core/errors.ts';
import { defineGroup, str } from '../command.ts';
import { formatTable } from '../io.ts';
import { migrateEmbeddedToPostgres } from '../../store/postgres/migrate.ts';
import { redactUrl } from '../../store/postgres/database.ts';

export default defineGroup('store', 'the message store (embedded or PostgreSQL cluster store)', {
  migrate: {
    usage: 'store migrate --to postgres://USER:PASSWORD@HOST:PORT/DB',
    summary: 'copies the embedded store of --data DIR into an empty PostgreSQL database (stop the appliance first)',
    notes: [
      'Accounts (password hashes, APOP secrets), domains, aliases, mailboxes with their UIDVALIDITY,',
      'UIDs, flags and MODSEQs, message bytes, the queue and the list and auto-reply data are copied',
      'in one transaction; the data directory is left as it was.',
    ],
    optionHelp: [['--to URL', 'the PostgreSQL database (empty; the schema is created)']],
    options: { to: { type: 'string' } },
    positionals: [0, 0],
    async run({ values, ctx, dataDir }) {
      const url = str(values, 'to');
      if (!url) throw new UsageError('store migrate needs --to postgres://USER:PASSWORD@HOST:PORT/DB');
      if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`--to ${JSON.stringify(redactUrl(url))} is not a postgres:// URL`);
      ctx.io.out(`copying the embedded store in ${dataDir} to ${redactUrl(url)}`);
      const report = await migrateEmbeddedToPostgres(dataDir, url);
      for (const line of formatTable(['TABLE', 'ROWS'], report.tables.map((r) => [r.name, String(r.rows)]))) ctx.io.out(line);
      for (const s of report.skipped) ctx.io.err(`warning: table ${s} is not known to this build and was not copied`);
      ctx.io.out(`verified: row counts and ${report.blobBytes} message bytes match (${report.ms} ms)`);
      ctx.io.out('');
      ctx.io.out('to switch, set in mailserver.config.ts and restart (every node the same store, each its own node name):');
      ctx.io.out(`  store: { kind: 'postgres', url: '${redactUrl(url)}' },`);
      ctx.io.out("  node: { name: 'node1' },");
      ctx.io.out(`the data directory ${dataDir} keeps the old store; remove it once the cluster store is in use`);
    },
  },
});
