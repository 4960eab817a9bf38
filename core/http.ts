/**
 * What a plugin sees of the appliance's HTTP(S) listener: a route table by path prefix and the
 * public base URL (the implementation is appliance/http/routes.ts).
 */
import type http from 'node:http';

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface HttpRoutes {
  /** Routes requests whose path starts with `prefix` (e.g. '/config.git/', '/list/unsubscribe/'); longest prefix wins; returns a function that removes the route. */
  route(prefix: string, handler: HttpHandler): () => void;
  /**
   * The base URL to put into mail (no trailing slash): `http.publicUrl`, else derived from the
   * first HTTPS listener, else the first listener; undefined while nothing is bound or when
   * there is no HTTP service. Read it when it is needed, not at plugin set-up.
   */
  publicUrl(): string | undefined;
}
