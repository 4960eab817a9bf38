/**
 * mailserver logs [--node N] [--grep TEXT] [-n N] [--follow]
 *
 * LG-1/CL-3: the node logs of the data directory (`<data>/logs/<node>/`: accept log, SMTP send
 * log, delivery and delivery failure logs) merged by time, each line prefixed with its node and
 * file. `--grep` takes an address or the message id a client was given (`250 … queued as ID`):
 * the queue, the delivery logs and the bounces use that id (copies and bounces a message causes
 * carry `ID.XXXXXX`), so one search follows a message from acceptance to delivery or bounce.
 */
import { UsageError } from '../../../core/errors.ts';
import { defineCommand, flag, str } from '../command.ts';
import { DEFAULT_LIMIT, followLogs, searchLogs, type LogLine } from '../../operations/logs.ts';

const format = (l: LogLine) => `${l.node} ${l.file.replace(/\.log$/, '')}\t${l.text}`;

export default defineCommand('logs', {
  usage: 'logs [--node N] [--grep ADDR|MSGID] [-n N] [--follow]',
  summary: 'prints the node logs (accept, smtp-send, delivery, delivery-failure) merged by time',
  notes: ['Each line: node, log name, then the log line (its time first). --grep matches case-insensitively',
    'anywhere in the line; a message id also finds the copies and bounces it caused (ID.XXXXXX).'],
  optionHelp: [
    ['--node N', 'only node N\'s logs (default: every node that logged on this data directory)'],
    ['--grep TEXT', 'only lines containing TEXT: an address, a message id, an IP'],
    ['-n N', `the last N matching lines (default ${DEFAULT_LIMIT})`],
    ['-f, --follow', 'then keep printing new lines until interrupted'],
  ],
  options: { node: { type: 'string' }, grep: { type: 'string' }, n: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } },
  positionals: [0, 0],
  async run({ values, ctx, dataDir }) {
    const limit = str(values, 'n') === undefined ? DEFAULT_LIMIT : Number(str(values, 'n'));
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`-n: expected a whole number, got ${JSON.stringify(str(values, 'n'))}`);
    const q = { node: str(values, 'node'), grep: str(values, 'grep') };
    for (const line of await searchLogs(dataDir, { ...q, limit })) ctx.io.out(format(line));
    if (!flag(values, 'follow')) return 0;
    await new Promise<void>((resolve) => {
      const stop = followLogs(dataDir, q, (line) => ctx.io.out(format(line)));
      ctx.io.err('-- following the logs (Ctrl-C ends)');
      const end = () => {
        stop();
        resolve();
      };
      process.once('SIGINT', end);
      process.once('SIGTERM', end);
    });
    return 0;
  },
});
