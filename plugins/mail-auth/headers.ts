/**
 * RFC 8601 §5: a border MTA removes Authentication-Results fields that claim its own
 * authserv-id, since only it can have written them; fields of other servers stay.
 */
export function dropOwnResults(message: Buffer, authservId: string): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const end = crlf >= 0 ? crlf + 2 : message.length;
  const lines = message.subarray(0, end).toString('latin1').split('\r\n');
  const kept: string[] = [];
  let dropping = false;
  const id = authservId.toLowerCase();
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const m = /^authentication-results\s*:\s*"?([^;\s"]+)/i.exec(line);
    dropping = !!m && m[1].toLowerCase() === id;
    if (!dropping) kept.push(line);
  }
  return Buffer.concat([Buffer.from(kept.join('\r\n'), 'latin1'), message.subarray(end)]);
}
