/**
 * mailserver antivirus freshclam-conf [--config FILE]
 *   prints a freshclam.conf (schedule, proxy) from the antivirus plugin's `freshclam` options;
 *   signature updates are ClamAV's own freshclam (AV-3).
 */
import { Value } from '@sinclair/typebox/value';
import { UsageError } from '../../../core/errors.ts';
import { loadConfig } from '../../../core/config/load.ts';
import { defineGroup } from '../command.ts';
import { FreshclamOptions, freshclamConf } from '../../../plugins/antivirus/freshclam.ts';

export default defineGroup('antivirus', 'ClamAV signature updates (AV-3)', {
  'freshclam-conf': {
    usage: 'antivirus freshclam-conf [--config FILE]',
    summary: 'prints freshclam.conf for the antivirus plugin\'s freshclam options (schedule, proxy)',
    options: { config: { type: 'string' } },
    optionHelp: [['--config FILE', 'config file (default: $MAILSERVER_CONFIG, else ./mailserver.config.ts)']],
    positionals: [0, 0],
    async run({ values, ctx }) {
      const { config } = await loadConfig((values.config as string | undefined) ?? ctx.globals.config);
      const entry = config.plugins.find((p) => p.name === 'antivirus');
      if (!entry) throw new UsageError('the config does not load the antivirus plugin');
      const raw = (entry.options as { freshclam?: unknown } | undefined)?.freshclam ?? {};
      const o = Value.Default(FreshclamOptions, structuredClone(raw)) as FreshclamOptions;
      const errors = [...Value.Errors(FreshclamOptions, o)];
      if (errors.length) throw new UsageError(`antivirus.freshclam${errors[0].path.replace(/\//g, '.')}: ${errors[0].message}`);
      ctx.io.write(freshclamConf(o));
    },
  },
});
