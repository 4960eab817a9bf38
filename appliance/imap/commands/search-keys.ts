/**
 * The `charset search-key …` tail shared by SEARCH, SORT and THREAD (RFC 3501 §6.4.4,
 * RFC 5256 §3), parsed into the search key tree of search/search.ts.
 */
import { astring, type Token } from '../parser.ts';
import { parseSearch, type Criterion } from '../search/search.ts';

const CHARSETS = new Set(['UTF-8', 'US-ASCII']);

/**
 * The search keys, or the charset they are in when it is not one the server knows: RFC 3501
 * §6.4.4 answers that with a tagged NO [BADCHARSET] (not a BAD), so keys whose strings are
 * in it are not judged.
 */
export type SearchKeys = { criteria: Criterion } | { unsupportedCharset: string };

/** `charset` is upper-cased, or null when the command named none (SEARCH without CHARSET). */
export function searchKeys(charset: string | null, tokens: Token[]): SearchKeys {
  if (charset !== null && !CHARSETS.has(charset)) return { unsupportedCharset: charset };
  return { criteria: parseSearch(tokens) };
}

/** The charset argument of SORT and THREAD (and of SEARCH's CHARSET), upper-cased. */
export const charsetArg = (tok: Token | undefined): string => astring(tok, 'charset').toUpperCase();
