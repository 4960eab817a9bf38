/**
 * Installs the config repository's `pre-receive` hook: git runs it after a push's objects have
 * arrived (still in quarantine) and before any ref moves; a non-zero exit refuses the whole push
 * and what it prints reaches the client as `remote:` lines (githooks(5)). It runs
 * `mailserver config pre-receive` with this Node and this appliance (hook.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { APPLIANCE_ROOT } from './checkout.ts';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function installPreReceiveHook(gitdir: string): void {
  const file = path.join(gitdir, 'hooks', 'pre-receive');
  const script = `#!/bin/sh
# Installed by mailserver at every start: checks, tests and applies a pushed config.
# See appliance/config-repo/hook.ts and README "Config as code".
exec ${quote(process.execPath)} ${quote(path.join(APPLIANCE_ROOT, 'bin', 'mailserver.js'))} config pre-receive
`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === script) return;
  fs.writeFileSync(file + '.tmp', script, { mode: 0o700 });
  fs.renameSync(file + '.tmp', file);
}
