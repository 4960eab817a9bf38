/**
 * DKIM signing (RFC 6376) of one message on a work thread (core/work.ts): the body hash over
 * the whole message (relaxed canonicalization, line by line) and the RSA signature, so a big
 * outgoing message does not hold the event loop of the lead's sessions and delivery.
 */
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

export const SIGN_TASK = { module: import.meta.url, name: 'signDkim' } as const;

export interface SignInput {
  /** The message (moved to the thread, not copied). */
  message: Uint8Array;
  signingDomain: string;
  selector: string;
  privateKey: string;
  headerList: string;
}

/** The DKIM-Signature header field (with its CRLF) to prepend, or null when mailauth made none. */
export async function signDkim(input: SignInput): Promise<string | null> {
  const message = Buffer.from(input.message.buffer, input.message.byteOffset, input.message.byteLength);
  const result = await dkimSign(message, {
    canonicalization: 'relaxed/relaxed',
    headerList: input.headerList,
    signatureData: [{ signingDomain: input.signingDomain, selector: input.selector, privateKey: input.privateKey }],
  } as never);
  return result.signatures || null;
}
