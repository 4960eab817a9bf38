/** The list port: mailing-list runtime data (members, counters, archive, keys, pending requests). */

/** A list member (ML-1). `list` is the list's key: `name` (global) or `name@domain`. */
export interface ListMember {
  address: string;
  name: string;
  /**
   * This subscription's id (given by the store, read only): a new one each time the address
   * joins again, so that links issued to an earlier subscription (one-click unsubscribe) stop.
   */
  id?: number;
  /** Non-delivery reports counted for this member (VERP bounce processing, ML-5). */
  bounces?: number;
  /** Disabled after too many bounces: still a member, sent no copies. */
  disabled?: boolean;
}

export interface ListArticle {
  n: number;
  subject: string;
  from: string;
  date: Date;
}

/** A JOIN/LEAVE waiting for the member's confirmation or the admin's approval. */
export interface ListPending {
  token: string;
  list: string;
  action: 'JOIN' | 'LEAVE';
  address: string;
  stage: 'member' | 'admin';
  expires: Date;
}

/** Mailing-list runtime data: it changes by mail, so it lives in the store, not in the config. */
export interface ListStore {
  members(list: string): Promise<ListMember[]>;
  isMember(list: string, address: string): Promise<boolean>;
  /** The id of the address's subscription (ListMember.id), null when not a member. */
  memberId(list: string, address: string): Promise<number | null>;
  /** Adds (or renames) a member; false when the address was a member already. */
  addMember(list: string, member: ListMember): Promise<boolean>;
  /** False when the address was not a member. */
  removeMember(list: string, address: string): Promise<boolean>;
  /** Replaces the whole member list (import); members that stay keep their subscription id. */
  replaceMembers(list: string, members: ListMember[]): Promise<void>;
  /** Takes the next post number: max(counter, start) + 1, committed. */
  nextCounter(list: string, start: number): Promise<number>;
  archive(list: string, article: ListArticle, content: Buffer): Promise<void>;
  articles(list: string): Promise<ListArticle[]>;
  article(list: string, n: number): Promise<Buffer | null>;
  deleteArticles(list: string, numbers: number[]): Promise<number>;
  addKey(list: string, key: string, expires: Date): Promise<void>;
  /** True when the key was issued for the list and has not expired. */
  validKey(list: string, key: string, now?: Date): Promise<boolean>;
  addPending(p: ListPending): Promise<void>;
  /** Takes (removes) a pending request that has not expired. */
  takePending(token: string, now?: Date): Promise<ListPending | null>;
  /** Counts a non-delivery report for a member: the new count, or null when not a member. */
  recordBounce(list: string, address: string): Promise<number | null>;
  /** Disables (or re-enables, resetting the count) a member; false when not a member. */
  setDisabled(list: string, address: string, disabled: boolean): Promise<boolean>;
  /** The post passwords of the configured lists (ML-2), by list key; set by the plugin at start. */
  setPostPasswords(passwords: Record<string, string>): Promise<void>;
  /** SMTP AUTH with ID = list name: the list key when the post password matches, else null. */
  verifyPoster(login: string, password: string): Promise<string | null>;
}
