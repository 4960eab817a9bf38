/**
 * The lists' post passwords (ML-2), shared by the stores: they come from the config (the same on
 * every node), so they are kept in memory by list key, as digests compared in constant time.
 */
import crypto from 'node:crypto';

export const listKey = (s: string) => s.toLowerCase();
const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

export class PostPasswords {
  private posters = new Map<string, Buffer>();

  set(passwords: Record<string, string>): void {
    this.posters = new Map(Object.entries(passwords).filter(([, pw]) => pw).map(([k, pw]) => [listKey(k), digest(pw)]));
  }

  /** SMTP AUTH with ID = list name: the list key when the password matches, else null. */
  verify(login: string, password: string): string | null {
    const want = this.posters.get(listKey(login.trim()));
    return want && crypto.timingSafeEqual(want, digest(password)) ? listKey(login.trim()) : null;
  }
}

/** The ListStore's post-password methods, the same in every store: each store's ListStore extends this. */
export abstract class ListPosters {
  private readonly posters = new PostPasswords();

  async setPostPasswords(passwords: Record<string, string>): Promise<void> {
    this.posters.set(passwords);
  }

  async verifyPoster(login: string, password: string): Promise<string | null> {
    return this.posters.verify(login, password);
  }
}
