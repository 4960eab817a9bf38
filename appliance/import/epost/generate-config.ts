/**
 * Renders the typed mailserver.config.ts of an import: plain data (JSON-compatible values), with
 * a comment on every part naming the original file and line it came from. Files copied from the
 * original are referenced relative to the config file itself (`import.meta.url`), so the config
 * works wherever the repository is checked out, whatever the working directory.
 */
import type { EpostTranslation, Source } from './translate.ts';

const at = (s: Source) => (s.lines ? `${s.file} line${s.lines.includes('-') ? 's' : ''} ${s.lines}` : s.file);
const json = (v: unknown, indent: string) => JSON.stringify(v, null, 2).split('\n').join(`\n${indent}`);

export function renderEpostConfig(t: EpostTranslation, opts: { dir: string }): string {
  const out: string[] = [];
  out.push(
    '/**',
    ` * Imported from the original product's files in ${opts.dir} by \`mailserver import epost\`.`,
    ' * Each part names the file (and line) it came from. Files the plugins read in the original\'s own',
    ' * format are copied under ./epost/ and referenced with file:, so they run exactly as before.',
    ' * Accounts, aliases and list members are runtime data: they were loaded into the store and are',
    ' * in ./data/ (mailserver export keeps that snapshot current).',
    ...(t.untranslated.length ? [' *', ' * NOT translated (see also the commit message):', ...t.untranslated.map((u) => ` *   - ${u.replace(/\*\//g, '* /')}`)] : []),
    ' */',
    "import { fileURLToPath } from 'node:url';",
    "import { defineConfig } from 'mailserver';",
    '',
    '/** A file copied from the original, next to this config. */',
    'const original = (file: string) => fileURLToPath(new URL(file, import.meta.url));',
    '',
    'export default defineConfig({',
  );
  const hidden = (key: 'smtp' | 'pop3' | 'imap', what: string) => {
    const h = t.hidden[key];
    if (!h) return;
    out.push(`  // ${at(h.source)}: RX-9, local addresses on which ${what} does not answer`);
    out.push(`  ${key}: { hiddenIps: ${JSON.stringify(h.ips)} },`);
  };
  hidden('smtp', 'SMTP');
  hidden('pop3', 'POP3');
  hidden('imap', 'IMAP4');
  if (t.gateway) {
    out.push(`  // ${at(t.gateway.source)}: TX-4 gateway table (${t.gateway.rules} rule(s)), read in the original's format`);
    out.push(`  delivery: { gatewayTableFile: ${JSON.stringify(`./${t.gateway.copy}`)} },`);
  }
  out.push('  plugins: [');
  out.push(t.effect
    ? `    // ${at(t.effect.source)}: RL-1 … RL-6 relay rules (${t.effect.rules} rule(s)), read by relay-effect in the original's format`
    : '    // no effect.dat: the secure default relay rules');
  out.push('    // localSenderRelay stays false (secure): the original let any client relay when MAIL FROM named a local account');
  out.push(`    { name: 'relay-effect', options: { ${t.effect ? `file: original(${JSON.stringify(`./${t.effect.copy}`)}), ` : ''}localSenderRelay: false } },`);
  if (t.mailfilter || t.accountFilters.length) {
    out.push(t.mailfilter
      ? `    // ${at(t.mailfilter.source)}: MF-1, MF-2 mail filter (${t.mailfilter.rules} rule(s)), read by mailfilter in the original's format`
      : '    // mail filter: per-account tables only');
    out.push('    {', "      name: 'mailfilter',", '      options: {');
    if (t.mailfilter) out.push(`        file: original(${JSON.stringify(`./${t.mailfilter.copy}`)}),`);
    if (t.accountFilters.length) {
      out.push('        accounts: {');
      for (const f of t.accountFilters) {
        out.push(`          // ${at(f.source)}: AC-6 (${f.rules} rule(s))`);
        out.push(`          ${JSON.stringify(f.address)}: { file: original(${JSON.stringify(`./${f.copy}`)}) },`);
      }
      out.push('        },');
    }
    out.push('      },', '    },');
  }
  if (t.autoreply.length) {
    out.push('    // FW-1, FW-2, AR-1: per-account auto-forward and auto-reply, translated from each mailbox folder\'s IMS.CTL and text files');
    out.push('    {', "      name: 'autoreply',", '      options: {', '        accounts: {');
    for (const a of t.autoreply) {
      out.push(`          // ${at(a.source)} (with the folder's AUTORPLY.TXT, NOREPLY.TXT, PERMITFROM.TXT)`);
      out.push(`          ${JSON.stringify(a.address)}: ${json(a.settings, '          ')},`);
    }
    out.push('        },', '      },', '    },');
  }
  if (t.lists.length) {
    out.push('    // ML-1 mailing lists: one per member file; members are in the store (data/lists/)');
    out.push('    {', "      name: 'mailing-list',", '      options: {', '        lists: [');
    for (const l of t.lists) out.push(`          { name: ${JSON.stringify(l.key)} }, // ${at(l.source)}: ${l.members.length} member(s)`);
    out.push('        ],', '      },', '    },');
  }
  out.push('  ],', '});', '');
  return out.join('\n');
}
