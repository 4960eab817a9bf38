/**
 * The Haraka helper packages, loaded with the same CommonJS `require` the plugins use, so a
 * plugin and the shim share one copy of each (an `Address` built here is `instanceof` the
 * class a plugin imports). The packages ship no types: the small interfaces below cover only
 * what the shim calls.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';

/** The repository root: `haraka-plugin-*` packages are resolved from here. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const requireFromRoot = createRequire(path.join(REPO_ROOT, 'package.json'));

/** haraka-config: one instance per plugin (defaults in the package, overrides in the operator's dir). */
export interface HarakaConfig {
  root_path: string;
  overrides_path?: string;
  get(name: string, ...args: unknown[]): any;
  getInt(name: string, defaultValue?: number): number;
  getDir(name: string, opts?: object): Promise<unknown>;
  module_config(defaultsPath: string, overridesPath?: string): HarakaConfig;
}

/** haraka-results */
export interface ResultStore {
  add(plugin: unknown, obj: Record<string, unknown>): string;
  push(plugin: unknown, obj: Record<string, unknown>): string;
  incr(plugin: unknown, obj: Record<string, unknown>): void;
  has(plugin: unknown, list: string, search: unknown): boolean;
  get(plugin: unknown): any;
  get_all(): Record<string, unknown>;
  collate(plugin: unknown): string | undefined;
}
export type ResultStoreCtor = new (conn: object) => ResultStore;

/** haraka-email-message Header */
export interface Header {
  header_list: string[];
  parse(lines: string[]): void;
  get(key: string): string;
  get_all(key: string): readonly string[];
  get_decoded(key: string): string;
  add(key: string, value: string): void;
  add_end(key: string, value: string): void;
  remove(key: string): void;
  lines(): readonly string[];
  toString(): string;
}

/** haraka-email-message Body (only parsed when a plugin asks for it). */
export interface Body extends EventEmitter {
  parse_more(line: Buffer): Buffer;
  parse_end(line?: Buffer): Buffer;
  force_end(): void;
}

/** haraka-message-stream */
export interface MessageStream extends EventEmitter {
  add_line(line: Buffer | string): void;
  add_line_end(cb?: () => void): void;
  pipe<T extends Writable>(destination: T, options?: Record<string, unknown>): T;
  get_data(options: Record<string, unknown> | ((buf: Buffer) => void), cb?: (buf: Buffer) => void): void;
  destroy(): void;
}

interface EmailMessageModule {
  Header: new () => Header;
  Body: new (header: Header, options?: object) => Body;
  stream: new (cfg: object, id: string, headers?: string[]) => MessageStream;
}

interface NetUtilsModule {
  is_private_ip(ip: string): boolean;
  is_local_ip(ip: string): boolean;
  normalize_ip(ip: string): string | null;
}

export type EmailAddressModule = typeof import('@haraka/email-address');
export type Address = import('@haraka/email-address').Address;

export const harakaConfig = requireFromRoot('haraka-config') as HarakaConfig;
export const ResultStore = requireFromRoot('haraka-results') as ResultStoreCtor;
export const emailMessage = requireFromRoot('haraka-email-message') as EmailMessageModule;
export const emailAddress = requireFromRoot('@haraka/email-address') as EmailAddressModule;
export const netUtils = requireFromRoot('haraka-net-utils') as NetUtilsModule;
