/** mailauth ships no types for lib/tools.js; the one export the DKIM signer uses. */
declare module 'mailauth/lib/tools.js' {
  /** The header fields mailauth signs by default, colon-separated. */
  export const defaultDKIMFieldNames: string;
}
