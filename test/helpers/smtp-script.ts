/**
 * Drives one smtplib session through a list of steps and returns each step's reply, for wire
 * tests that need exact codes: ['starttls'], ['login', user, pw] (AUTH PLAIN, one attempt), ['cmd', 'MAIL FROM:<a@b>'],
 * ['data', body] (body sent with DATA and the final dot), ['rset'].
 */
import { python } from './python.ts';

export type Step = ['starttls'] | ['login', string, string] | ['cmd', string] | ['data', string] | ['rset'];

const SCRIPT = `
import smtplib, ssl, sys, json
port, source, steps = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
s = smtplib.SMTP('127.0.0.1', port, source_address=(source, 0)); s.ehlo('client.test')
out = []
for step in steps:
    kind = step[0]
    try:
        if kind == 'starttls':
            r = s.starttls(context=ssl._create_unverified_context()); s.ehlo('client.test')
        elif kind == 'login':
            s.user, s.password = step[1], step[2]
            r = s.auth('PLAIN', s.auth_plain)
        elif kind == 'cmd':
            r = s.docmd(step[1])
        elif kind == 'rset':
            r = s.rset()
        elif kind == 'data':
            r = s.data(step[1].encode())
        out.append([r[0], r[1].decode()])
    except smtplib.SMTPResponseException as e:
        out.append([e.smtp_code, e.smtp_error.decode()])
    except smtplib.SMTPException as e:
        out.append([0, str(e)])
print(json.dumps(out))
`;

/** Runs the steps from `source` (any 127.0.0.0/8 address); returns [code, text] per step. */
export async function smtpSteps(port: number, steps: Step[], source = '127.0.0.1'): Promise<[number, string][]> {
  const r = await python(SCRIPT, [String(port), source, JSON.stringify(steps)], { timeoutMs: 30_000 });
  if (!r.stdout.trim()) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
