/**
 * ML-1 member files (the seed's format): one address a line, `Name <addr>`, `<addr>` or a bare
 * address; a line starting with `#` is a comment. Pure: parse and format only.
 */
export interface Member {
  address: string;
  name: string;
}

export interface MemberFileResult {
  members: Member[];
  /** Lines that hold no usable address, with their line numbers (1-based). */
  errors: { line: number; text: string }[];
}

const ADDRESS = /^[^@\s<>"]+@[^@\s<>"]+\.?[^@\s<>"]*$/;

/** One line of a member file; null when it is not an address line. */
export function parseMemberLine(line: string): Member | null {
  const text = line.trim();
  const angle = /^(.*?)<([^<>]+)>\s*$/.exec(text);
  if (angle) {
    const address = angle[2].trim();
    if (!ADDRESS.test(address)) return null;
    return { address, name: angle[1].trim().replace(/^"(.*)"$/, '$1') };
  }
  return ADDRESS.test(text) ? { address: text, name: '' } : null;
}

export function parseMemberFile(text: string): MemberFileResult {
  const members: Member[] = [];
  const errors: { line: number; text: string }[] = [];
  const seen = new Set<string>();
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = parseMemberLine(line);
    if (!m) return void errors.push({ line: i + 1, text: raw });
    const key = m.address.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    members.push(m);
  });
  return { members, errors };
}

/** The seed's export form: `Name <addr>` when a name is known, else the bare address. */
export function formatMemberFile(members: Member[], comment?: string): string {
  const lines = comment ? [`# ${comment}`] : [];
  for (const m of members) lines.push(m.name ? `${m.name} <${m.address}>` : m.address);
  return lines.join('\n') + '\n';
}

/**
 * The bytes of a member file as text: valid UTF-8 (with or without BOM) as UTF-8, anything else
 * as Shift_JIS (the seed ran on Japanese Windows).
 */
export function decodeMemberFile(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('shift_jis').decode(bytes);
  }
}
