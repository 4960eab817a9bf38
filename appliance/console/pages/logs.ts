/** Log search (filled in below). */
import { Hono } from 'hono';
import type { Env } from '../deps.ts';

export function logRoutes(): Hono<Env> {
  return new Hono<Env>();
}
