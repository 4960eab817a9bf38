/**
 * mailserver queue list
 * mailserver queue show ID [--content]
 * mailserver queue retry ID
 * mailserver queue flush
 * mailserver queue delete ID
 *
 * The outbound queue (TX-2), as Postfix's postqueue/postsuper: what waits, why, and when it is
 * tried next. Works while the appliance runs: it sees a retry or flush at its next queue scan.
 */
import type { QueueEntry } from '../../../core/store/ports.ts';
import { defineGroup, flag } from '../command.ts';
import { formatTable } from '../io.ts';
import { withStore } from '../values.ts';
import { deleteQueued, queuedMessage, recipientState, retryQueued } from '../../operations/queue.ts';

function age(from: Date, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - from.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function when(d: Date, now = Date.now()): string {
  return d.getTime() <= now ? 'now' : `in ${age(new Date(now - (d.getTime() - now)), now)}`;
}

const sender = (e: QueueEntry) => `<${e.mailFrom}>`;

async function entryOrFail(dataDir: string, id: string): Promise<{ entry: QueueEntry; content: Buffer }> {
  return withStore(dataDir, 'existing', (s) => queuedMessage(s, id));
}

export default defineGroup('queue', 'the outbound queue (TX-2)', {
  list: {
    usage: 'queue list',
    summary: 'lists the queued messages, one line per recipient, with its state and last error',
    positionals: [0, 0],
    async run({ ctx, dataDir }) {
      const entries = await withStore(dataDir, 'existing', (s) => s.queue.list());
      if (!entries.length) return void ctx.io.out('the queue is empty');
      const rows: string[][] = [];
      for (const e of entries) {
        e.recipients.forEach((r, i) => {
          const state = recipientState(r);
          rows.push([i ? '' : e.id, i ? '' : age(e.created), i ? '' : String(e.size), i ? '' : sender(e), r.recipient, state, String(r.attempts),
            r.status === 'pending' ? when(r.nextAttempt) : '-', r.lastError ?? '']);
        });
      }
      for (const line of formatTable(['ID', 'AGE', 'SIZE', 'FROM', 'RECIPIENT', 'STATE', 'TRIES', 'NEXT', 'LAST ERROR'], rows)) ctx.io.out(line);
      ctx.io.out(`${entries.length} message${entries.length === 1 ? '' : 's'}, ${rows.length} recipient${rows.length === 1 ? '' : 's'}`);
    },
  },

  show: {
    usage: 'queue show ID [--content]',
    summary: 'shows one queued message: envelope, recipients, and its header (or the whole message)',
    optionHelp: [['--content', 'print the whole message, not only its header']],
    options: { content: { type: 'boolean' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const { entry, content } = await entryOrFail(dataDir, positionals[0]);
      ctx.io.out(`id: ${entry.id}`);
      ctx.io.out(`queued: ${entry.created.toISOString()} (${age(entry.created)} ago)`);
      ctx.io.out(`from: ${sender(entry)}`);
      ctx.io.out(`size: ${entry.size}`);
      for (const r of entry.recipients) {
        ctx.io.out(`to: <${r.recipient}> ${r.status}, ${r.attempts} attempt(s)${r.status === 'pending' ? `, next ${r.nextAttempt.toISOString()}` : ''}${r.lastError ? `: ${r.lastError}` : ''}`);
      }
      ctx.io.out('');
      const text = content.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      ctx.io.write((flag(values, 'content') || end < 0 ? text : text.slice(0, end + 2)).replace(/\r\n/g, '\n'));
    },
  },

  retry: {
    usage: 'queue retry ID',
    summary: 'makes the waiting recipients of one message due now',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const n = await withStore(dataDir, 'existing', (s) => retryQueued(s, positionals[0]));
      ctx.io.out(`${n} recipient${n === 1 ? '' : 's'} of ${positionals[0]} due now`);
    },
  },

  flush: {
    usage: 'queue flush',
    summary: 'makes every waiting recipient due now (postqueue -f)',
    positionals: [0, 0],
    async run({ ctx, dataDir }) {
      const n = await withStore(dataDir, 'existing', (s) => s.queue.retryNow());
      ctx.io.out(`${n} recipient${n === 1 ? '' : 's'} due now`);
    },
  },

  delete: {
    usage: 'queue delete ID',
    summary: 'removes a message from the queue without a bounce',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      await withStore(dataDir, 'existing', (s) => deleteQueued(s, positionals[0]));
      ctx.io.out(`deleted ${positionals[0]}`);
    },
  },
});
