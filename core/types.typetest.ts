/**
 * Type tests for the plugin and hook types: checked by `tsc --noEmit` (CI), never run.
 * Each @ts-expect-error line must fail to compile, or tsc reports the directive as unused.
 */
import { Type } from '@sinclair/typebox';
import { definePlugin } from './plugin.ts';
import type { HookRunner } from './hooks.ts';

declare const hooks: HookRunner;

definePlugin({
  name: 'typed',
  options: Type.Object({ limit: Type.Integer() }),
  setup(api) {
    const n: number = api.options.limit;
    // @ts-expect-error options are typed from the schema
    const s: string = api.options.limit;
    // @ts-expect-error unknown option
    void api.options.nothing;
    api.hook('rcpt', ({ rcpt, tx }) => {
      const a: string = rcpt.address;
      void tx.mailFrom.address;
      void a;
      return { kind: 'reject', permanent: true, message: 'no' };
    });
    // @ts-expect-error the hook table is closed
    api.hook('rcpt_to', () => undefined);
    // @ts-expect-error a verdict must be one of the union
    api.hook('mail', () => ({ kind: 'maybe' }));
    // @ts-expect-error the connect hook has no transaction
    api.hook('connect', ({ tx }) => void tx);
    void n;
    void s;
  },
});

// @ts-expect-error registering an unknown hook does not compile
hooks.register('nope', 'x', () => undefined);
