/**
 * Policy tests kept next to the config in the repository (`mailserver.tests.ts`): cases a pushed
 * config must still pass, e.g.
 *
 *   import { definePolicyTests } from 'mailserver';
 *   export default definePolicyTests({
 *     domains: ['example.com'], accounts: ['a@example.com'],
 *     cases: [
 *       { name: 'no open relay', from: '203.0.113.9', mailFrom: 'a@example.com', rcptTo: 'b@other.test', expect: 'refused' },
 *       { name: 'unsolicited ads tagged', rcptTo: 'a@example.com', message: 'Subject: 未承諾広告 sale\n\nbuy', expect: { tagged: '[SPAM]' } },
 *     ],
 *   });
 *
 * Each case runs the config's plugin hooks in-process against a throw-away store holding only
 * `domains` and `accounts` (appliance/config-repo/policy-tests.ts).
 */

/** What a case expects of the session. */
export type PolicyExpectation =
  /** Every command up to and including the message (when given) is accepted. */
  | 'accepted'
  /** Some command is refused permanently (5xx) or the connection is closed. */
  | 'refused'
  /** Some command is refused temporarily (4xx). */
  | 'tempfail'
  /** Accepted, and the Subject (decoded) of the message as it would be stored contains `tagged`. */
  | { tagged: string }
  /** Accepted, and the stored message has header `header` (containing `contains` when given). */
  | { header: string; contains?: string }
  /** Refused (permanently) with a reply whose text contains `refused`. */
  | { refused: string };

export interface PolicyCase {
  /** Shown when the case fails; default: the case's position and envelope. */
  name?: string;
  /** The client's IP address (default 192.0.2.10, a documentation address). */
  from?: string;
  /** The HELO/EHLO name (default client.example.net). */
  helo?: string;
  /** Authenticated as this account (one of `accounts`) before MAIL FROM. */
  auth?: string;
  /** Envelope sender (default sender@example.net; '' = the null sender). */
  mailFrom?: string;
  /** Envelope recipients; none = the message goes to a local test account without a RCPT check. */
  rcptTo?: string | string[];
  /** The message (headers, blank line, body); LF line ends are fine. Without it the case ends after RCPT TO. */
  message?: string;
  expect: PolicyExpectation;
}

export interface PolicyTests {
  /** Hosted domains in the test store. */
  domains?: string[];
  /** Accounts (user@domain, password "test") in the test store; their domains are added. */
  accounts?: string[];
  cases: PolicyCase[];
}

/** Typed identity for mailserver.tests.ts: `export default definePolicyTests({ cases: [...] })`. */
export function definePolicyTests(tests: PolicyTests): PolicyTests {
  return tests;
}

/** The file in the config repository that holds the policy tests. */
export const POLICY_TESTS_FILE = 'mailserver.tests.ts';
