// The config-check child (plain JS: no loader, no worker, no child process). Imports the bundled
// mailserver.config and, when given, the bundled mailserver.tests, and prints their default
// exports as JSON after a marker line. Runs under Node's permission model, as user nobody when
// the appliance is root, after preload.mjs has made listening impossible (appliance/config-repo/sandbox.ts).
const [configFile, testsFile] = process.argv.slice(2);
const MARK = '\n@@mailserver-config-check@@\n';

/** JSON of a config: plain data only (functions, symbols, class instances say where they are). */
function plain(value, where) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${where}: ${value} is not a plain number`);
    return value;
  }
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v, i) => plain(v, `${where}[${i}]`) ?? null);
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v, where ? `${where}.${k}` : k);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  throw new Error(`${where || '(root)'}: a ${typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value} is not plain data (the config must be data: strings, numbers, booleans, arrays, objects)`);
}

// a timer or callback of the code that throws later (a refused listen()) does not end the check:
// the answer is about the exported data, and the process is killed right after it anyway
process.on('uncaughtException', () => undefined);
process.on('unhandledRejection', () => undefined);

let result;
try {
  const config = await import(configFile);
  const tests = testsFile ? await import(testsFile) : null;
  result = { ok: true, config: plain(config.default ?? config, ''), tests: tests ? plain(tests.default ?? null, '') : null };
} catch (err) {
  result = { ok: false, error: String(err?.message ?? err).split('\n')[0] };
}
process.stdout.write(MARK + JSON.stringify(result) + '\n', () => process.exit(0));
