/** The domain port: the local domains and their per-domain settings. */

export interface Domain {
  name: string;
  /** DO-1: maximum number of accounts, 0 = no limit. */
  accountLimit: number;
  /** DO-1: admin address (default Administrator@domain). */
  admin: string;
  /** DO-1: copy error mail to the admin. */
  copyErrorsToAdmin: boolean;
}

export interface DomainStore {
  get(name: string): Promise<Domain | null>;
  list(): Promise<Domain[]>;
  create(domain: Partial<Domain> & { name: string }): Promise<Domain>;
  update(name: string, patch: Partial<Domain>): Promise<Domain>;
  delete(name: string): Promise<void>;
}
