/** The auto-reply state port: which addresses an account replied to, and when. */

/** One address an account auto-replied to. */
export interface RepliedAddress {
  address: string;
  lastReply: Date;
  replies: number;
  /** RecordReplies was on (the seed's REPLIED.TXT). */
  recorded: boolean;
  /** "Do not reply to the same address again" (added to the seed's NOREPLY.TXT). */
  neverAgain: boolean;
}

/** The auto-reply plugin's per-account state, which changes with mail (not config). */
export interface AutoreplyStateStore {
  /**
   * Decides and records in one step (two deliveries at once cannot both reply): false when the
   * address is marked never-again or was replied to after `now - periodMs`; else records the
   * reply (with the `record` and `neverAgain` marks) and returns true.
   */
  claimReply(accountId: number, address: string, opts: { now: Date; periodMs: number; record: boolean; neverAgain: boolean }): Promise<boolean>;
  list(accountId: number): Promise<RepliedAddress[]>;
  /** Forgets one address (or all of the account's): it gets a reply again. Returns how many. */
  forget(accountId: number, address?: string): Promise<number>;
}
