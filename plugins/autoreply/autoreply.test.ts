import t from 'tap';
import { simpleParser } from 'mailparser';
import { noForwardReason, noReplyReason } from './guards.ts';
import { buildForward, forwardedBy } from './forward.ts';
import { buildReply, encodeHeaderText } from './reply.ts';
import { resolveAccount } from '../../policies/ims-ctl.ts';

t.test('reply guards (RFC 3834), as a table', async (t) => {
  const base = { account: 'me@h.test', noReply: ['*@quiet.test'] };
  const rows: [string, string, string | null][] = [
    ['you@x.test', 'Subject: hi\r\n', null],
    ['', 'Subject: hi\r\n', 'null sender'],
    ['ME@h.test', 'Subject: hi\r\n', 'sent by the account itself'],
    ['you@x.test', 'Auto-Submitted: auto-generated\r\n', 'Auto-Submitted: auto-generated'],
    ['you@x.test', 'Auto-Submitted: no\r\n', null],
    ['you@x.test', 'List-Id: <l.x.test>\r\n', 'list mail'],
    ['you@x.test', 'List-Unsubscribe: <mailto:u@x.test>\r\n', 'list mail'],
    ['you@x.test', 'Precedence: junk\r\n', 'Precedence: junk'],
    ['you@x.test', 'Precedence: first-class\r\n', null],
    ['you@x.test', 'X-Auto-Response-Suppress: OOF\r\n', 'auto-reply suppressed'],
    ['owner-list@x.test', '', 'sender is a mail robot'],
    ['news-request@x.test', '', 'sender is a mail robot'],
    ['someone@quiet.test', '', 'never-reply list'],
    ['relay@x.test', 'From: Q <q@quiet.test>\r\n', 'never-reply list'],
  ];
  for (const [sender, head, want] of rows) t.equal(noReplyReason({ ...base, sender, head }), want, `${sender} ${head.trim()}`);
});

t.test('forward guards', async (t) => {
  const content = Buffer.from('X-Autoforwarded-By: other@h.test\r\nSubject: s\r\n\r\nb');
  const o = { account: 'me@h.test', admin: 'Administrator@h.test', content, head: 'Subject: s\r\n', permitFrom: [] as string[] };
  t.equal(noForwardReason({ ...o, sender: 'x@y.test' }), null);
  t.equal(noForwardReason({ ...o, sender: 'administrator@H.test' }), 'sent by the domain admin');
  t.equal(noForwardReason({ ...o, sender: 'x@y.test', content: buildForward(content, { account: 'me@h.test', stripAttachments: false }) }), 'forwarded by this account before (loop)');
  t.equal(noForwardReason({ ...o, sender: 'x@y.test', permitFrom: ['ok.test'] }), 'sender not permitted');
  t.equal(noForwardReason({ ...o, sender: 'x@ok.test', permitFrom: ['ok.test'] }), null);
  t.same(forwardedBy(buildForward(content, { account: 'Me@h.test', stripAttachments: false })), ['me@h.test', 'other@h.test']);
});

t.test('long Japanese subjects: encoded words within 75 characters, both charsets decode', async (t) => {
  const subject = '長い件名のテストです。これは自動応答の件名がきちんと読めるかを確かめるためのものです 😀';
  for (const charset of ['utf-8', 'iso-2022-jp'] as const) {
    const enc = encodeHeaderText(subject, charset);
    t.ok(enc.split('\r\n ').every((w) => w.length <= 75), charset);
    const reply = buildReply({
      settings: resolveAccount({ reply: { text: '本文', subject, charset } }).reply!,
      account: 'me@h.test', to: 'you@x.test', original: Buffer.from('Subject: q\r\nMessage-ID: <1@x>\r\n\r\nb'), hostname: 'h.test',
    });
    const p = await simpleParser(reply);
    // ISO-2022-JP has no emoji: it becomes '?' there, the Japanese reads back
    t.equal(p.subject, charset === 'utf-8' ? subject : subject.replace('😀', '?'), charset);
    t.equal(p.text?.trim(), '本文');
    t.equal(p.inReplyTo, '<1@x>');
  }
});
