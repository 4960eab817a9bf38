/**
 * Mailbox names with a `.` or `..` level (`.`, `..`, `a/../b`, `../x`) or an empty
 * level (`a//b`, `/a`) are refused by CREATE and RENAME with `NO [CANNOT]`, and nothing of them
 * appears in LIST; ordinary hierarchical names still work.
 */
import t from 'tap';
import { RawClient } from '../helpers/raw-client.ts';
import { startImapAppliance } from '../helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true } }, ['alice']);
t.teardown(() => app.close());

let n = 0;
async function cmd(c: RawClient, line: string): Promise<string[]> {
  const tag = `t${++n}`;
  c.write(`${tag} ${line}\r\n`);
  const out: string[] = [];
  for (;;) {
    const l = (await c.line()).trimEnd();
    out.push(l);
    if (l.startsWith(`${tag} `)) return out.map((x) => x.replace(new RegExp(`^${tag} `), 'TAG '));
  }
}

const BAD = ['.', '..', 'a/../b', '../x', 'a/./b', 'a/..', 'a//b', '/a'];

t.test('CREATE and RENAME refuse dot and empty levels with NO [CANNOT]', async (t) => {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  await cmd(c, 'LOGIN alice@example.test pw-alice');
  t.match((await cmd(c, 'CREATE "keep/child"')).at(-1), /^TAG OK/, 'an ordinary hierarchical name is fine');
  for (const name of BAD) {
    t.match((await cmd(c, `CREATE "${name}"`)).at(-1), /^TAG NO \[CANNOT\] /, `CREATE ${name}`);
    t.match((await cmd(c, `RENAME "keep/child" "${name}"`)).at(-1), /^TAG NO \[CANNOT\] /, `RENAME to ${name}`);
  }
  const list = await cmd(c, 'LIST "" "*"');
  t.match(list.at(-1), /^TAG OK/);
  const names = list.filter((l) => l.startsWith('* LIST')).map((l) => l.replace(/^\* LIST \([^)]*\) "[^"]*" /, '').replace(/^"|"$/g, ''));
  t.same(names.filter((x) => x.split('/').some((p) => p === '.' || p === '..' || p === '')), [], 'LIST shows none of them');
  t.ok(names.includes('keep/child'), 'the renamed-from mailbox is still there');
  c.close();
});
