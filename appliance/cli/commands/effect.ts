/**
 * mailserver effect import FILE   — reads the original's effect.dat and prints the same rules
 *                                   as relay-effect options for mailserver.config.ts
 * mailserver effect export        — the inverse: reads the rules of the config's relay-effect
 *                                   plugin and prints them in effect.dat syntax
 *
 * RL-1 … RL-6. Errors name the line; rules after `only` are reported and left out, as the
 * original ignores them. Nothing is written: the config is code, reviewed and committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { loadConfig } from '../../../core/config/load.ts';
import { defineGroup } from '../command.ts';
import { formatEffectDat, parseEffectDat } from '../../../policies/effect-dat.ts';
import { EffectRuleError, type EffectRule } from '../../../policies/effect-rules.ts';

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export default defineGroup('effect', 'relay rules in the original\'s effect.dat syntax (RL-1 … RL-6)', {
  import: {
    usage: 'effect import FILE',
    summary: 'prints the rules of an effect.dat file as relay-effect options for mailserver.config.ts',
    positionals: [1, 1],
    async run({ positionals, ctx }) {
      let parsed;
      try {
        parsed = parseEffectDat(readFile(positionals[0]));
      } catch (err) {
        if (err instanceof EffectRuleError) throw new UsageError(`${positionals[0]}: ${err.message}`);
        throw err;
      }
      for (const w of parsed.warnings) ctx.io.err(`${positionals[0]}: ${w}`);
      ctx.io.out(`// relay-effect rules imported from ${positionals[0]}`);
      ctx.io.out(`{ name: 'relay-effect', options: { rules: [`);
      for (const r of parsed.rules) ctx.io.out(`  { match: ${JSON.stringify(r.match)}${r.action ? `, action: ${JSON.stringify(r.action)}` : ''} },`);
      ctx.io.out(`] } },`);
    },
  },
  export: {
    usage: 'effect export [--config FILE]',
    summary: 'prints the relay-effect rules of the config in effect.dat syntax',
    options: { config: { type: 'string' } },
    optionHelp: [['--config FILE', 'config file (default: $MAILSERVER_CONFIG, else ./mailserver.config.ts)']],
    positionals: [0, 0],
    async run({ values, ctx }) {
      const { config, file } = await loadConfig((values.config as string | undefined) ?? ctx.globals.config);
      const entry = config.plugins.find((p) => p.name === 'relay-effect');
      if (!entry) throw new UsageError('the config does not load the relay-effect plugin');
      const options = (entry.options ?? {}) as { rules?: EffectRule[]; file?: string };
      // a relative file is the config's neighbour, as the appliance reads it (not the shell's cwd)
      const rules = options.file ? parseEffectDat(readFile(path.resolve(file ? path.dirname(file) : process.cwd(), options.file))).rules : options.rules ?? [];
      ctx.io.write(formatEffectDat(rules));
    },
  },
});
