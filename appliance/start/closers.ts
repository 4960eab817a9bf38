/** What start-up opened, closed in reverse order on shutdown or when a later step fails. */
export class Closers {
  private readonly list: (() => void | Promise<void>)[] = [];

  push(close: () => void | Promise<void>): void {
    this.list.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.list.splice(0).reverse()) await close();
  }
}
