/**
 * Checks a checked-out config: evaluates mailserver.config.ts and mailserver.tests.ts in the
 * sandbox (sandbox.ts: a separate, unprivileged process; their code never runs here), validates
 * the config data against the schema (core/config/load.ts, with defaults), runs the policy tests
 * on it when there are any, and says what changes against the running config. Used by a push, a
 * rollback, a commit from another node and `mailserver config check`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../core/config/load.ts';
import { evaluateInSandbox } from './sandbox.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { diffConfig } from '../runtime/diff.ts';
import { CONFIG_FILE } from './checkout.ts';
import { POLICY_TESTS_FILE, type PolicyTests } from '../../core/policy-tests.ts';
import { checkPolicyTests, runPolicyTests } from './policy-tests.ts';

export interface CheckResult {
  /** The validated config (with defaults) when it loaded. */
  config?: AppConfig;
  /** Every problem, as `file: path: reason` lines; empty = good. */
  errors: string[];
  /** Progress lines: what was checked, policy test counts, what changes. */
  info: string[];
}

export async function checkConfigDir(dir: string, opts: { log: Logger; running?: AppConfig }): Promise<CheckResult> {
  const result: CheckResult = { errors: [], info: [] };
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) {
    result.errors.push(`${CONFIG_FILE}: missing (the repository must hold the config at its top level)`);
    return result;
  }
  const evaluated = await evaluateInSandbox(dir);
  if (evaluated.error) {
    result.errors.push(`${CONFIG_FILE}: cannot load: ${evaluated.error}`);
    return result;
  }
  try {
    result.config = validateConfig(evaluated.config, file);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) result.errors.push(`${CONFIG_FILE}: ${p.path || '(root)'}: ${p.message}`);
    } else result.errors.push(`${CONFIG_FILE}: ${(err as Error).message.split('\n')[0]}`);
    return result;
  }
  // the plugins are loaded even without policy tests: their options are checked when they load
  const testsFile = path.join(dir, POLICY_TESTS_FILE);
  let tests: PolicyTests = { cases: [] };
  if (fs.existsSync(testsFile)) {
    try {
      tests = checkPolicyTests(evaluated.tests, POLICY_TESTS_FILE);
    } catch (err) {
      result.errors.push(`${POLICY_TESTS_FILE}: ${(err as Error).message.split('\n')[0]}`);
      return result;
    }
  }
  try {
    const report = await runPolicyTests(tests, result.config, opts.log, dir);
    for (const f of report.failures) result.errors.push(`${POLICY_TESTS_FILE}: case "${f.name}" failed: ${f.problem}`);
    // valid only once the plugins took their options too (they are part of the config)
    result.info.push(`${CONFIG_FILE}: valid`);
    result.info.push(fs.existsSync(testsFile)
      ? `${POLICY_TESTS_FILE}: ${report.passed} of ${tests.cases.length} policy tests passed`
      : `plugins: loaded; ${POLICY_TESTS_FILE}: none (policy tests are optional)`);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) result.errors.push(`${CONFIG_FILE}: ${p.path || '(root)'}: ${p.message}`);
    } else result.errors.push(`${CONFIG_FILE}: plugins: ${(err as Error).message.split('\n')[0]}`);
  }
  if (opts.running) {
    const diff = diffConfig(opts.running, result.config);
    result.info.push(...(diff.summary.length ? diff.summary.map((l) => `change: ${l}`) : ['no change to the running config']));
    for (const p of diff.needsRestart) result.info.push(`note: ${p} takes effect at the next restart`);
  }
  return result;
}
