/**
 * The HTTP route table: handlers registered by path prefix, longest prefix first. It exists
 * before any listener is bound, so plugins (set up before the listeners) can register routes.
 */
import type { HttpHandler, HttpRoutes } from '../../core/http.ts';

export type { HttpHandler, HttpRoutes };

export interface Route {
  prefix: string;
  handler: HttpHandler;
}

export class RouteTable implements HttpRoutes {
  /** Sorted longest prefix first, so the first match is the most specific. */
  private routes: Route[] = [];
  private base: () => string | undefined = () => undefined;

  route(prefix: string, handler: HttpHandler): () => void {
    if (!prefix.startsWith('/')) throw new Error(`http route "${prefix}": a prefix starts with "/"`);
    if (this.routes.some((r) => r.prefix === prefix)) throw new Error(`http route "${prefix}" is already registered`);
    const entry: Route = { prefix, handler };
    this.routes.push(entry);
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
    return () => {
      this.routes = this.routes.filter((r) => r !== entry);
    };
  }

  /** The route for a request path (the part of the request target before any `?`). */
  match(path: string): Route | undefined {
    return this.routes.find((r) => path.startsWith(r.prefix));
  }

  publicUrl(): string | undefined {
    return this.base();
  }

  /** Set by the HTTP service once its listeners are bound. */
  setPublicUrl(fn: () => string | undefined): void {
    this.base = fn;
  }
}
