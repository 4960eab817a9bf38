/**
 * The HTTP route table the HTTP listeners serve from, across config generations: routes the
 * appliance registers itself (the config repository) stay; routes plugins registered follow
 * the generation new requests get (each generation's plugins fill a table of their own).
 */
import { RouteTable, type Route } from '../http/routes.ts';

export class LiveRoutes extends RouteTable {
  private generation: RouteTable = new RouteTable();

  /** A table for a generation's plugins; its publicUrl() is the listeners'. */
  forGeneration(): RouteTable {
    const table = new RouteTable();
    table.setPublicUrl(() => this.publicUrl());
    return table;
  }

  use(table: RouteTable): void {
    this.generation = table;
  }

  override match(path: string): Route | undefined {
    const own = super.match(path);
    const gen = this.generation.match(path);
    if (!own) return gen;
    if (!gen) return own;
    return gen.prefix.length > own.prefix.length ? gen : own;
  }
}
