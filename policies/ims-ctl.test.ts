import t from 'tap';
import Encoding from 'encoding-japanese';
import { Value } from '@sinclair/typebox/value';
import { AccountAutoreplySchema, decodeSeedText, importImsCtl, matchesSender, parseIni } from './ims-ctl.ts';

const jis = (s: string) => Buffer.from(Encoding.convert(Encoding.stringToCode(s), { to: 'JIS', from: 'UNICODE' }));
const sjis = (s: string) => Buffer.from(Encoding.convert(Encoding.stringToCode(s), { to: 'SJIS', from: 'UNICODE' }));

const VACATION = 'メールを頂き有り難う御座います。\r\n現在、8月5日まで休暇のため、このメールは現在、自動応答としています。\r\n';
const MOVED = '鈴木さんは組織 ABCから移動し、移動先アドレスは"suzuki@bcd.co.jp"となりました。\r\n"suzuki@abc.co.jp"へはメールを送らない様お願いいたします。\r\n';

t.test('seed example 1, vacation notice: RecordReplies, Subject, JIS text, NOREPLY.TXT', async (t) => {
  const r = importImsCtl({ ctl: '[AutoReply]\r\nRecordReplies=Yes\r\nSubject=It is during vacation\r\n', autorply: jis(VACATION), noreply: 'abc@xxx.co.jp\r\n' });
  t.same(r.warnings, []);
  t.same(r.settings, {
    keep: true,
    reply: { text: VACATION.replace(/\r\n/g, '\n'), echo: 'none', noReply: ['abc@xxx.co.jp'], recordReplies: true, onceOnly: false, periodDays: 7, charset: 'utf-8', subject: 'It is during vacation' },
  });
  t.ok(Value.Check(AccountAutoreplySchema, r.settings), 'the result is valid config');
});

t.test('seed example 2, moved notice: ReplyFrom, EchoMessage, Discard', async (t) => {
  const r = importImsCtl({
    ctl: ' [AutoReply]\r\nReplyFrom=Postmaster@abc.co.jp\r\nEchoMessage=Yes\r\nSubject=It moved\r\n[Delivery]\r\nDiscard=Yes\r\n',
    autorply: jis(MOVED), noreply: 'def@ghi.co.jp',
  });
  t.same(r.warnings, []);
  t.equal(r.settings.keep, false);
  t.match(r.settings.reply, { from: 'Postmaster@abc.co.jp', echo: 'with-headers', subject: 'It moved', noReply: ['def@ghi.co.jp'], text: MOVED.replace(/\r\n/g, '\n') });
  t.ok(Value.Check(AccountAutoreplySchema, r.settings));
});

t.test('the manual\'s forward example and the FILE: list', async (t) => {
  const one = importImsCtl({ ctl: '[AutoForward]\r\nForwardTo = abc@def.co.jp\r\n[Delivery]\r\nDiscard = Yes\r\n' });
  t.same(one.settings, { keep: false, forward: { to: ['abc@def.co.jp'], permitFrom: [], envelopeFrom: 'admin', stripAttachments: false } });
  const seen: string[] = [];
  const list = importImsCtl({
    ctl: '[AutoForward]\nForwardTo=file:c:\\forward\\address.txt\nPermitFrom=Yes\nErrorsTo=Sender\nDeleteAttachments=Yes\nSizeLimit=0\n',
    permitfrom: 'boss@corp.test\n*@partner.test\n',
    forwardList: (p) => (seen.push(p), 'xxx1@xxxx.co.jp\r\nxxx2@xxxx.co.jp\r\n\r\n'),
  });
  t.same(seen, ['c:\\forward\\address.txt']);
  t.same(list.settings.forward, { to: ['xxx1@xxxx.co.jp', 'xxx2@xxxx.co.jp'], permitFrom: ['boss@corp.test', '*@partner.test'], envelopeFrom: 'sender', stripAttachments: true, maxBodyBytes: 0 });
  const missing = importImsCtl({ ctl: '[AutoForward]\nForwardTo=FILE:/nope.txt\nErrorsTo=None\n', forwardList: () => null });
  t.equal(missing.settings.forward?.file, '/nope.txt');
  t.equal(missing.settings.forward?.envelopeFrom, 'none');
  t.match(missing.warnings, [/list file not found/]);
  t.equal(importImsCtl({ ctl: '[AutoForward]\nForwardTo=a@b.test\nErrorsTo=bounces@corp.test\n' }).settings.forward?.envelopeFrom, 'bounces@corp.test');
});

t.test('unknown keys and sections, NoHeaders, NoReplyAgain, ReplyTo, REPLIED.TXT', async (t) => {
  const r = importImsCtl({
    ctl: '; comment\n[AutoReply]\nEchoMessage=Yes\nNoHeaders=Yes\nNoReplyAgain=Yes\nReplyTo=desk@corp.test\nReplyFrom=not an address\nColour=red\n[Other]\nx=1\nstray line\n',
    autorply: sjis('シフトJISの本文'), replied: 'a@x.test\nb@y.test\n',
  });
  t.match(r.settings.reply, { echo: 'without-headers', onceOnly: true, replyTo: 'desk@corp.test', text: 'シフトJISの本文' });
  t.equal(r.settings.reply?.from, undefined);
  t.same(r.replied, ['a@x.test', 'b@y.test']);
  t.equal(r.warnings.length, 4, r.warnings.join('; '));
});

t.test('decoding seed text and INI details', async (t) => {
  t.equal(decodeSeedText(Buffer.from('\uFEFFutf-8 テキスト', 'utf8')), 'utf-8 テキスト');
  t.equal(decodeSeedText(jis('件名')), '件名');
  const { sections } = parseIni('[AUTOREPLY]\nsubject = a = b\n');
  t.equal(sections.get('autoreply')?.get('subject'), 'a = b');
});

t.test('sender patterns', async (t) => {
  const p = ['boss@corp.test', '*@partner.test', '@other.test', 'whole.test'];
  for (const [a, want] of [['Boss@Corp.test', true], ['x@partner.test', true], ['x@sub.partner.test', false], ['y@other.test', true], ['z@whole.test', true], ['boss@corp.test.evil', false], ['', false]] as const) {
    t.equal(matchesSender(p, a), want, a);
  }
});
