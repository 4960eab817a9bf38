/** The messages of the stall finding, at any size (CRLF line ends, no line starting with "."). */

/** A header folded into continuation lines, `bytes` long in all. */
export function headerBomb(bytes: number, to = 'victim@example.test'): Buffer {
  const top = `From: <attacker@remote.test>\r\nTo: <${to}>\r\nSubject: header bomb\r\nX-Bomb: start\r\n`;
  const lines = Math.max(1, Math.floor((bytes - top.length) / 4));
  return Buffer.from(`${top}${' b\r\n'.repeat(lines)}\r\nbody\r\n`);
}

/** A multipart/mixed with `parts` empty parts (7 bytes each). */
export function mimeBomb(parts: number, to = 'victim@example.test'): Buffer {
  return Buffer.from(`From: <attacker@remote.test>\r\nTo: <${to}>\r\nSubject: mime bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${'--b\r\n\r\n'.repeat(parts)}--b--\r\n`);
}

/** Multiparts nested `depth` levels deep. */
export function depthBomb(depth: number): Buffer {
  let m = 'From: <attacker@remote.test>\r\nSubject: depth bomb\r\nMIME-Version: 1.0\r\n';
  for (let i = 0; i < depth; i++) m += `Content-Type: multipart/mixed; boundary="d${i}"\r\n\r\n--d${i}\r\n`;
  return Buffer.from(`${m}Content-Type: text/plain\r\n\r\ndeep\r\n`);
}

/** `count` header fields. */
export function manyHeaders(count: number): Buffer {
  let m = 'From: <attacker@remote.test>\r\nSubject: many headers\r\n';
  for (let i = 2; i < count; i++) m += `X-H${i}: v\r\n`;
  return Buffer.from(`${m}\r\nbody\r\n`);
}
