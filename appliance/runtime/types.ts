/** The live-apply API of a running appliance. */
import type { AppConfig } from '../../core/config/schema.ts';

export interface ConfigProblem {
  /** The setting, e.g. `smtp.listen[1]`, `plugins[0].options.rules`, `store`. */
  path: string;
  message: string;
}

export type ApplyResult =
  | {
      ok: true;
      /** The generation now serving new sessions (the first start is generation 1). */
      generation: number;
      /** Listeners newly bound by this apply, e.g. `smtp.listen[1] 127.0.0.1:2526`. */
      rebound: string[];
      /** What changed at the top level (diff.ts), one line each. */
      summary: string[];
    }
  | { ok: false; error: string; problems?: ConfigProblem[] };

export interface ApplyOptions {
  /** Where relative paths of the config (haraka.configDir, the gateway table) are found. */
  configDir?: string;
  /** For logs: what this config is (a commit, `SIGHUP`). */
  label?: string;
}

export interface ConfigApplier {
  /** The config new sessions get now. */
  readonly config: AppConfig;
  /**
   * Applies a new config: builds a new generation (plugins, hooks, listeners whose addresses
   * changed), and only when it all came up switches new sessions to it; on any failure the old
   * generation stays and nothing changed.
   */
  apply(config: AppConfig, opts?: ApplyOptions): Promise<ApplyResult>;
}
