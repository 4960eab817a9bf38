/**
 * ML-2 "add-on processing step" (the seed's per-list DLL): another plugin registers a named
 * add-on in its setup; a list runs the add-ons named in its `addons` option, in order, on every
 * post after the list headers and tag are applied and before it is archived and distributed.
 * An add-on may replace the content, or drop the post (with a reason that is logged).
 */
export interface ListPost {
  /** List key (`name` or `name@domain`) and the address it was posted to. */
  list: string;
  address: string;
  /** Post number (X-Mail-Count). */
  n: number;
  sender: string;
  content: Buffer;
}

export type ListAddon = (post: ListPost) => Promise<{ content?: Buffer; drop?: string } | void> | { content?: Buffer; drop?: string } | void;

const registry = new Map<string, ListAddon>();

export function registerListAddon(name: string, addon: ListAddon): void {
  registry.set(name, addon);
}

export function listAddon(name: string): ListAddon | undefined {
  return registry.get(name);
}
