/**
 * The base subject of RFC 5256 §2.1, which SORT SUBJECT and THREAD compare, and whether its
 * extraction took off a reply or forward marker (`Re:`, `Fwd:`, `(fwd)`, `[fwd: …]`), which
 * THREAD=REFERENCES needs to group roots (§BASE.6.4.4 step 5). A `[blob]` alone (a list
 * tag) is not a reply marker.
 */
import { decodeHeaderValue } from '../message/text.ts';

export interface Subject {
  /** Upper-cased, as it is compared. */
  base: string;
  replyOrForward: boolean;
}

/** subj-trailer (step 2): "(fwd)" or white space at the end. */
const TRAILER = /(?:[ \t]*\(fwd\))+[ \t]*$/i;
/** subj-leader (step 3): *subj-blob subj-refwd, subj-refwd = ("re" / "fw" ["d"]) *WSP [subj-blob] ":". */
const LEADER = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:[ \t]*/i;
/** subj-blob (step 4), taken off only when something is left. */
const BLOB = /^\[[^[\]]*\][ \t]*/;

export function extractSubject(raw: string | null): Subject {
  // step 1: encoded-words decoded, runs of white space made one space
  let s = decodeHeaderValue(raw ?? '').replace(/[ \t\r\n]+/g, ' ').trim();
  let replyOrForward = false;
  for (;;) {
    // step 2
    const trailer = TRAILER.exec(s);
    if (trailer) {
      if (/\(fwd\)/i.test(trailer[0])) replyOrForward = true;
      s = s.slice(0, trailer.index);
    }
    // steps 3 to 5: leaders and blobs, until nothing changes
    for (let changed = true; changed; ) {
      changed = false;
      const trimmed = s.replace(/^[ \t]+/, '');
      if (trimmed !== s) s = trimmed;
      const leader = LEADER.exec(s);
      if (leader) {
        s = s.slice(leader[0].length);
        replyOrForward = true;
        changed = true;
      }
      const blob = BLOB.exec(s);
      if (blob && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
    }
    // step 6: "[fwd:" subj-base "]" is a forward; back to step 2 with what is inside
    if (/^\[fwd:/i.test(s) && s.endsWith(']')) {
      s = s.slice(5, -1).trim();
      replyOrForward = true;
      continue;
    }
    return { base: s.trim().toUpperCase(), replyOrForward };
  }
}

export function baseSubject(raw: string | null): string {
  return extractSubject(raw).base;
}
