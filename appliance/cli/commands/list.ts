/**
 * mailserver list members LIST
 * mailserver list import LIST FILE [--replace]
 * mailserver list export LIST [FILE]
 * mailserver list add LIST ADDRESS [NAME]
 * mailserver list remove LIST ADDRESS
 *
 * ML-1: the members of a mailing list (LIST = `name` for a global list, `name@domain` for a
 * per-domain one, as in the mailing-list plugin's options). Members are runtime data in the
 * store (they change by mail); the member file is the seed's format.
 */
import fs from 'node:fs';
import { UsageError } from '../../../core/errors.ts';
import { defineGroup, str, type OptionSpec } from '../command.ts';
import { withStore } from '../values.ts';
import { loadCommandConfig } from '../command-config.ts';
import { addListMember, importListMembers, listKey, listMembers, listStore, removeListMember, requireList } from '../../operations/lists.ts';
import { decodeMemberFile, formatMemberFile, parseMemberFile } from '../../../policies/list-members.ts';

// the lists are defined in the config; a list it does not define is refused, never given members
const CONFIG_OPTION: OptionSpec = { config: { type: 'string' } };
const CONFIG_HELP: [string, string] = ['--config FILE', 'the config defining the lists (default: $MAILSERVER_CONFIG, else the running commit of --data, else ./mailserver.config.ts)'];

export default defineGroup('list', 'mailing-list members (ML-1)', {
  members: {
    usage: 'list members LIST',
    summary: 'prints the members of a list in the member file format (disabled ones marked)',
    options: CONFIG_OPTION,
    optionHelp: [CONFIG_HELP],
    positionals: [1, 1],
    async run({ positionals, values, ctx, dataDir }) {
      const key = listKey(positionals[0]);
      const { config, file } = await loadCommandConfig(dataDir, str(values, 'config') ?? ctx.globals.config);
      const members = await withStore(dataDir, 'existing', (s) => listMembers(s, config, key, file));
      if (!members.length) return void ctx.io.err(`no members in ${key}`);
      // a member disabled after bounces (ML-5) is marked with a trailing comment
      ctx.io.write(formatMemberFile(members).split('\n').map((line, i) => (members[i]?.disabled
        ? `${line}  # disabled after ${members[i].bounces} bounces (list add enables it again)` : line)).join('\n'));
    },
  },

  import: {
    usage: 'list import LIST FILE [--replace]',
    summary: 'adds the members of a member file (Name <addr>, <addr>, addr; # comments)',
    notes: ['The file may be UTF-8 or Shift_JIS. Nothing is imported when a line is not an address.',
      'With --replace the list gets exactly the members of the file.'],
    optionHelp: [['--replace', 'replace the member list instead of adding to it'], CONFIG_HELP],
    options: { replace: { type: 'boolean' }, ...CONFIG_OPTION },
    positionals: [2, 2],
    async run({ positionals, values, ctx, dataDir }) {
      const key = listKey(positionals[0]);
      const { config, file } = await loadCommandConfig(dataDir, str(values, 'config') ?? ctx.globals.config);
      requireList(config, key, file);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(positionals[1]);
      } catch (err) {
        throw new UsageError(`cannot read ${positionals[1]}: ${(err as Error).message}`);
      }
      const { members, errors } = parseMemberFile(decodeMemberFile(bytes));
      if (errors.length) {
        throw new UsageError(`${positionals[1]}: nothing imported; ${errors.map((e) => `line ${e.line}: "${e.text.trim()}" is not an address`).join('; ')}`);
      }
      const added = await withStore(dataDir, 'existing', (s) => importListMembers(s, config, key, members, !!values.replace, file));
      ctx.io.out(values.replace ? `${key}: ${added} member(s)` : `${key}: ${added} member(s) added, ${members.length - added} already there`);
    },
  },

  export: {
    usage: 'list export LIST [FILE]',
    summary: 'writes the member file of a list (to stdout without FILE)',
    positionals: [1, 2],
    async run({ positionals, ctx, dataDir }) {
      const key = listKey(positionals[0]);
      const members = await withStore(dataDir, 'existing', (s) => listStore(s).members(key));
      const text = formatMemberFile(members, `members of ${key}`);
      if (positionals[1] === undefined) return void ctx.io.write(text);
      fs.writeFileSync(positionals[1], text);
      ctx.io.out(`${key}: ${members.length} member(s) written to ${positionals[1]}`);
    },
  },

  add: {
    usage: 'list add LIST ADDRESS [NAME]',
    summary: 'adds one member to a list the config defines',
    options: CONFIG_OPTION,
    optionHelp: [CONFIG_HELP],
    positionals: [2, 3],
    async run({ positionals, values, ctx, dataDir }) {
      const { config, file } = await loadCommandConfig(dataDir, str(values, 'config') ?? ctx.globals.config);
      const { key, address, added } = await withStore(dataDir, 'existing', (s) => addListMember(s, config, file, positionals[0], positionals[1], positionals[2]));
      ctx.io.out(added ? `${key}: added ${address}` : `${key}: ${address} is a member already`);
    },
  },

  remove: {
    usage: 'list remove LIST ADDRESS',
    summary: 'removes one member',
    positionals: [2, 2],
    async run({ positionals, ctx, dataDir }) {
      const key = await withStore(dataDir, 'existing', (s) => removeListMember(s, positionals[0], positionals[1]));
      ctx.io.out(`${key}: removed ${positionals[1]}`);
    },
  },
});
