/**
 * Runs a config's policy tests (core/policy-tests.ts) in-process: the config's appliance plugins are
 * loaded with their hooks into a HookRunner over a throw-away embedded store, and each case walks
 * a synthetic SMTP session (connect, EHLO, AUTH, MAIL, RCPT, DATA) through the same hook order and
 * the same recipient and relay rules as the SMTP listener (appliance/smtp/envelope.ts, data.ts).
 * No network: the client address is whatever the case says.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import libmime from 'libmime';
import type { AppConfig } from '../../core/config/schema.ts';
import { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import { loadPlugins } from '../../core/plugin.ts';
import { createConnection, type Connection, type Recipient } from '../../core/session.ts';
import type { Verdict } from '../../core/verdict.ts';
import { ReplyError, UsageError } from '../../core/errors.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import { createSubmit } from '../submit/submit.ts';
import { DirectoryCache } from '../recipients/directory-cache.ts';
import { postmasterRouting, resolveRecipient } from '../recipients/resolve-recipient.ts';
import { planLocalDelivery } from '../submit/local-plan.ts';
import { assembleMessage } from '../smtp/assemble.ts';
import { beginTransaction } from '../smtp/session.ts';
import { REPLIES, verdictToReply } from '../smtp/replies.ts';
import { RouteTable } from '../http/routes.ts';
import { resolvePlugin } from '../runtime/resolve-plugin.ts';
import type { PolicyCase, PolicyExpectation, PolicyTests } from '../../core/policy-tests.ts';
import { MessageContent } from '../../core/store/content.ts';

export interface PolicyFailure {
  /** The case's name, or `cases[i]` with its envelope. */
  name: string;
  /** What happened instead. */
  problem: string;
}

export interface PolicyReport {
  passed: number;
  failures: PolicyFailure[];
}

type Outcome =
  | { kind: 'accepted'; contents: Buffer[] }
  | { kind: 'refused' | 'tempfail'; stage: string; reply: string };

class Stop extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.kind);
  }
}

function stopOn(stage: string, verdict: Verdict): void {
  const reply = verdictToReply(verdict);
  if (reply) stopWith(stage, reply.code, reply.enhanced, reply.message);
}

function stopWith(stage: string, code: number, enhanced: string, message: string): never {
  throw new Stop({ kind: code >= 500 ? 'refused' : 'tempfail', stage, reply: `${code} ${enhanced} ${message}` });
}

function caseName(c: PolicyCase, i: number): string {
  if (c.name) return c.name;
  const rcpt = ([] as string[]).concat(c.rcptTo ?? []).join(',');
  return `cases[${i}] (from ${c.from ?? 'default'}, MAIL FROM <${c.mailFrom ?? ''}>, RCPT TO <${rcpt}>)`;
}

/** The message as a client would send it: CRLF line ends, a header/body separator. */
function messageBytes(text: string): Buffer {
  let crlf = text.replace(/\r?\n/g, '\r\n');
  if (!/\r\n\r\n/.test(crlf)) crlf += crlf.endsWith('\r\n') ? '\r\n' : '\r\n\r\n';
  return Buffer.from(crlf, 'utf8');
}

function headerBlock(content: Buffer): string {
  const text = content.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  return (end === -1 ? text : text.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
}

function headerValues(content: Buffer, name: string): string[] {
  const lower = name.toLowerCase();
  return headerBlock(content)
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(lower + ':'))
    .map((l) => libmime.decodeWords(l.slice(name.length + 1).trim()));
}

function describe(o: Outcome): string {
  if (o.kind === 'accepted') {
    const subjects = o.contents.flatMap((c) => headerValues(c, 'Subject'));
    return `accepted${subjects.length ? ` (Subject: ${JSON.stringify(subjects[0])})` : ''}`;
  }
  return `${o.kind === 'refused' ? 'refused' : 'temporarily refused'} at ${o.stage}: ${o.reply}`;
}

/** Null when the outcome is what the case expects, else why not. */
export function judge(expect: PolicyExpectation, o: Outcome): string | null {
  const got = describe(o);
  if (expect === 'accepted' || expect === 'refused' || expect === 'tempfail') {
    return o.kind === expect ? null : `expected ${expect}, got ${got}`;
  }
  if ('refused' in expect) {
    return o.kind === 'refused' && o.reply.includes(expect.refused) ? null : `expected refused with "${expect.refused}", got ${got}`;
  }
  if (o.kind !== 'accepted') return `expected accepted and ${JSON.stringify(expect)}, got ${got}`;
  if ('tagged' in expect) {
    return o.contents.some((c) => headerValues(c, 'Subject').some((s) => s.includes(expect.tagged))) ? null : `expected the Subject tagged "${expect.tagged}", got ${got}`;
  }
  const ok = o.contents.some((c) => headerValues(c, expect.header).some((v) => expect.contains === undefined || v.includes(expect.contains)));
  return ok ? null : `expected header ${expect.header}${expect.contains ? ` containing "${expect.contains}"` : ''}, got ${got} without it`;
}

/** Checks the shape of a policy tests module's default export; throws a UsageError naming the problem. */
export function checkPolicyTests(value: unknown, file: string): PolicyTests {
  const t = value as PolicyTests;
  if (!t || typeof t !== 'object' || !Array.isArray(t.cases)) throw new UsageError(`${file}: expected export default definePolicyTests({ cases: [...] })`);
  t.cases.forEach((c, i) => {
    if (!c || typeof c !== 'object') throw new UsageError(`${file}: cases[${i}]: expected an object`);
    if (c.expect === undefined) throw new UsageError(`${file}: cases[${i}]${c.name ? ` (${c.name})` : ''}: expect is missing`);
  });
  return t;
}

export async function runPolicyTests(tests: PolicyTests, config: AppConfig, log: Logger, configDir?: string): Promise<PolicyReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-policy-'));
  const stores = openEmbeddedStore(dir);
  const closers: (() => void | Promise<void>)[] = [];
  try {
    const domains = new Set([...(tests.domains ?? []), ...(tests.accounts ?? []).map((a) => a.split('@')[1] ?? '')].filter(Boolean).map((d) => d.toLowerCase()));
    for (const name of domains) await stores.domains.create({ name });
    for (const address of tests.accounts ?? []) {
      const [name, domain] = address.toLowerCase().split('@');
      if (!name || !domain) throw new UsageError(`accounts: "${address}" is not user@domain`);
      await stores.accounts.create({
        name, domain, password: 'test', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
        pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false,
      });
    }
    const hooks = new HookRunner({ timeoutMs: config.hookTimeoutMs, log });
    const directory = new DirectoryCache(stores, 0);
    closers.push(...(await loadPlugins(config.plugins, resolvePlugin, { hooks, config, stores, log, dataDir: dir, configDir, http: new RouteTable(), mode: 'check', submit: createSubmit({ config, hooks, stores, directory, log }) })));
    const report: PolicyReport = { passed: 0, failures: [] };
    for (const [i, c] of tests.cases.entries()) {
      let outcome: Outcome;
      try {
        outcome = await runCase(c, { hooks, stores, directory, log, config });
      } catch (err) {
        if (err instanceof Stop) outcome = err.outcome;
        else {
          report.failures.push({ name: caseName(c, i), problem: `the case could not run: ${(err as Error).message}` });
          continue;
        }
      }
      const problem = judge(c.expect, outcome);
      if (problem) report.failures.push({ name: caseName(c, i), problem });
      else report.passed++;
    }
    return report;
  } finally {
    for (const close of closers.reverse()) await close();
    await stores.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface CaseContext {
  hooks: HookRunner;
  stores: ReturnType<typeof openEmbeddedStore>;
  directory: DirectoryCache;
  log: Logger;
  config: AppConfig;
}

async function runCase(c: PolicyCase, x: CaseContext): Promise<Outcome> {
  const remoteAddress = c.from ?? '192.0.2.10';
  const conn = createConnection({
    id: crypto.randomBytes(6).toString('hex'),
    protocol: 'smtp',
    remoteAddress,
    remotePort: 49152,
    localAddress: '127.0.0.1',
    localPort: 25,
    log: x.log,
  });
  stopOn('connect', await x.hooks.run('connect', { conn }));
  const helo = c.helo ?? 'client.example.net';
  conn.helo = { verb: 'EHLO', host: helo };
  stopOn(`EHLO ${helo}`, await x.hooks.run('helo', { conn, verb: 'EHLO', host: helo }));
  if (c.auth) {
    const account = await x.stores.accounts.get(c.auth);
    if (!account) throw new UsageError(`auth: ${c.auth} is not one of the test accounts (add it to accounts)`);
    conn.user = { login: c.auth, address: `${account.name}@${account.domain}`, accountId: account.id };
    stopOn(`AUTH ${c.auth}`, await x.hooks.run('auth', { conn, method: 'PLAIN', login: c.auth }));
    conn.relaying = true;
  }
  const from = { address: c.mailFrom ?? 'sender@example.net', params: {} };
  const tx = beginTransaction(conn, from);
  stopOn(`MAIL FROM:<${from.address}>`, await x.hooks.run('mail', { conn, tx, from }));
  const rcpts = ([] as string[]).concat(c.rcptTo ?? []);
  for (const address of rcpts) {
    const stage = `RCPT TO:<${address}>`;
    const rcpt: Recipient = { address, params: {}, local: false };
    const verdict = await x.hooks.run('rcpt', { conn, tx, rcpt });
    stopOn(stage, verdict);
    if (rcpt.handledBy) {
      tx.rcptTo.push(rcpt);
      continue;
    }
    // the listener's own rules (appliance/smtp/envelope.ts): unknown local users, relay control
    let where;
    try {
      where = resolveRecipient(await x.directory.get(), address, postmasterRouting(x.config));
    } catch (err) {
      if (err instanceof ReplyError) stopWith(stage, err.code, err.enhanced, err.message);
      throw err;
    }
    if (where.kind === 'unknown') {
      const e = REPLIES.noSuchUser(address);
      stopWith(stage, e.code, e.enhanced, e.message);
    }
    if (where.kind === 'local') {
      Object.assign(rcpt, { local: true, accountId: where.account.id, deliveredTo: where.deliveredTo });
    } else {
      if (!where.viaAlias && !conn.relaying && verdict.kind !== 'accept') {
        const e = REPLIES.relayDenied();
        stopWith(stage, e.code, e.enhanced, e.message);
      }
      Object.assign(rcpt, { local: false, forwardTo: where.address, deliveredTo: where.deliveredTo });
    }
    tx.rcptTo.push(rcpt);
  }
  if (c.message === undefined) return { kind: 'accepted', contents: [] };
  if (!rcpts.length) {
    // no envelope recipient given: the message goes to the first test account, unchecked
    const first = (await x.stores.accounts.list())[0];
    tx.rcptTo.push(first
      ? { address: `${first.name}@${first.domain}`, params: {}, local: true, accountId: first.id }
      : { address: `postmaster@${x.config.hostname}`, params: {}, local: false });
  }
  stopOn('DATA', await x.hooks.run('data', { conn, tx }));
  tx.message = messageBytes(c.message);
  stopOn('end of DATA', await x.hooks.run('data_post', { conn, tx }));
  stopOn('end of DATA (queue)', await x.hooks.run('queue', { conn, tx }));
  const content = assembleMessage(tx.message, [], tx.addedHeaders, tx.removedHeaders);
  const local = await planLocalDelivery(x.hooks, { conn, tx }, content);
  return { kind: 'accepted', contents: [content, ...(await Promise.all(local.deliveries.map((d) => MessageContent.from(d.content).toBuffer())))] };
}
