/**
 * The CLI's terminal: where lines go, how a password is read from stdin, and plain-text tables
 * that stay aligned with Japanese full names (wide characters take two columns).
 */
import { UsageError } from '../../core/errors.ts';

export interface Io {
  /** Writes text to stdout exactly as given (export). */
  write(text: string): void;
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
}

export const processIo: Io = {
  write: (text) => void process.stdout.write(text),
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
  stdin: process.stdin,
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal without echoing it. */
function readHidden(io: Io, prompt: string): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err: Error | null) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    process.stderr.write(prompt);
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * `--password -`: the password comes from stdin so that it stays out of the shell history and
 * the process list. From a pipe, the first line is the password (its line ending is dropped);
 * on a terminal it is asked for twice, without echo.
 */
export async function readPassword(io: Io): Promise<string> {
  let password: string;
  if (io.stdin.isTTY) {
    password = await readHidden(io, 'Password: ');
    const again = await readHidden(io, 'Retype password: ');
    if (again !== password) throw new UsageError('the passwords do not match');
  } else {
    password = (await readAll(io.stdin)).split('\n')[0].replace(/\r$/, '');
  }
  if (password === '') throw new UsageError('no password on stdin (--password - reads the first line of stdin)');
  return password;
}

/** Columns a string takes on a terminal: East Asian wide and full-width characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x3099 || cp === 0x309a) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
      (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
      (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/** Left-aligned columns two spaces apart; the last column is not padded (no trailing blanks). */
export function formatTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - displayWidth(cell)))).join('  ').trimEnd(),
  );
}

const UNITS: [string, number][] = [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]];

/** A byte count as the operator would write it: `50M` when exact, else bytes; 0 = unlimited. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return 'unlimited';
  for (const [unit, size] of UNITS) if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}
