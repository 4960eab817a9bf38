/** The alias port: address aliases and wildcard domain aliases. */

export interface Alias {
  /** `info@abc.test` or `*@abc.test`. */
  alias: string;
  /** `real@abc.test` or `*@def.test` (wildcard keeps the account part). */
  target: string;
  /** AL-1: ,1 rewrite the envelope recipient, ,0 keep it, null = default by domain. */
  rewrite: boolean | null;
}

export interface AliasStore {
  list(domain?: string): Promise<Alias[]>;
  add(alias: Alias): Promise<void>;
  delete(alias: string): Promise<void>;
}
