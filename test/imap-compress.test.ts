/**
 * COMPRESS=DEFLATE (RFC 4978) over real sockets: a Node client driving zlib by hand on plain,
 * STARTTLS and implicit-TLS connections; Python's imaplib with a deflate layer put under it;
 * NO [COMPRESSIONACTIVE] on a second COMPRESS; and decompression bombs that must end at the
 * line and literal limits, not in memory.
 */
import t from 'tap';
import zlib from 'node:zlib';
import { DeflateClient } from './helpers/deflate-client.ts';
import { imaplib, startImapAppliance } from './helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true, spoolThreshold: 4096 } }, ['alice']);
t.teardown(() => app.close());

async function loggedIn(opts: { tls?: boolean; starttls?: boolean } = {}): Promise<DeflateClient> {
  const c = await DeflateClient.connect(opts.tls ? app.imapsPort : app.imapPort, { tls: opts.tls });
  if (opts.starttls) {
    const ok = await c.cmd('STARTTLS', 's');
    if (!/^s OK/m.test(ok)) throw new Error(ok);
    await c.startTls();
  }
  const r = await c.cmd('LOGIN alice@example.test pw-alice', 'l');
  if (!/^l OK/m.test(r)) throw new Error(r);
  return c;
}

async function compress(c: DeflateClient): Promise<string> {
  c.write('z COMPRESS DEFLATE\r\n');
  const ok = await c.line();
  c.startDeflate();
  return ok;
}

t.test('CAPABILITY offers COMPRESS=DEFLATE after login only, and not once it is active', async (t) => {
  const c = await DeflateClient.connect(app.imapPort);
  t.notMatch(await c.cmd('CAPABILITY'), 'COMPRESS=DEFLATE', 'not before authentication');
  t.match(await c.cmd('COMPRESS DEFLATE'), /^a BAD COMPRESS is not valid in this state/m);
  t.match(await c.cmd('LOGIN alice@example.test pw-alice'), /^a OK \[CAPABILITY [^\]]*COMPRESS=DEFLATE/m);
  t.match(await c.cmd('COMPRESS GZIP'), /^a BAD .*compression mechanism/m, 'an unknown mechanism is BAD');
  t.match(await compress(c), /^z OK/);
  const caps = await c.cmd('CAPABILITY');
  t.match(caps, /^\* CAPABILITY IMAP4rev1 /m, 'the answer comes back compressed and inflates to IMAP');
  t.notMatch(caps, 'COMPRESS=DEFLATE');
  t.ok(c.wireIn > 0, 'compressed octets arrived');
  t.match(await c.cmd('COMPRESS DEFLATE'), /^a NO \[COMPRESSIONACTIVE\]/m, 'a second COMPRESS');
  t.match(await c.cmd('LOGOUT'), /^\* BYE .*\r\na OK/m, 'LOGOUT and its BYE are compressed too');
  await c.waitClosed();
  t.equal(c.streamEnd, 'final', 'the server ended the deflate stream with its final block before closing');
});

for (const mode of ['plain', 'starttls', 'implicit tls'] as const) {
  t.test(`commands, literals both ways and responses under COMPRESS (${mode})`, async (t) => {
    const c = await loggedIn({ tls: mode === 'implicit tls', starttls: mode === 'starttls' });
    t.match(await compress(c), /^z OK/);
    const box = `Deflate-${mode.replace(/ /g, '-')}`;
    t.match(await c.cmd(`CREATE ${box}`), /^a OK/m);
    // a literal over imap.spoolThreshold (spooled to disk while the socket pauses) and a small one
    const big = `Subject: big ${mode}\r\n\r\n${'line of body text 0123456789\r\n'.repeat(3000)}`;
    const small = `Subject: small ${mode}\r\nFrom: a@b.test\r\n\r\nhello\r\n`;
    for (const msg of [big, small]) {
      c.write(`p APPEND ${box} {${Buffer.byteLength(msg)}}\r\n`);
      t.match(await c.line(), /^\+ /, 'the continuation, compressed');
      c.write(msg + '\r\n');
      t.match(await c.line(), /^p OK \[APPENDUID \d+ \d+\]/);
    }
    const sel = await c.cmd(`SELECT ${box}`);
    t.match(sel, /^\* 2 EXISTS/m);
    const f = await c.cmd('FETCH 1:2 (RFC822.SIZE BODY.PEEK[])');
    t.ok(f.includes(big) && f.includes(small), 'both messages come back whole');
    t.match(f, `RFC822.SIZE ${Buffer.byteLength(big)}`);
    // IDLE: the continuation and an update arrive without the client sending anything more
    c.write('i IDLE\r\n');
    t.match(await c.line(), /^\+ /, 'IDLE continuation flushed at once');
    const other = await loggedIn();
    t.match(await other.cmd(`APPEND ${box} {${small.length}+}\r\n${small}`), /^a OK/m);
    other.close();
    t.match(await c.line(), /^\* 3 EXISTS/, 'the update inside IDLE is flushed at once');
    c.write('DONE\r\n');
    let l = await c.line();
    while (l.startsWith('* ')) l = await c.line();
    t.match(l, /^i OK/);
    t.match(await c.cmd(`DELETE ${box}`), /^a OK/m);
    c.close();
  });
}

t.test('Python imaplib with a zlib layer under it', async (t) => {
  const out = await imaplib(app, `
import zlib
class Deflating(imaplib.IMAP4):
    def compress(self):
        typ, data = self._simple_command('COMPRESS', 'DEFLATE')
        if typ != 'OK': return typ
        self._z_out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._z_in = zlib.decompressobj(-15)
        self._z_buf = b''
        self._z_wire = 0
        return typ
    def send(self, data):
        if not hasattr(self, '_z_out'): return super().send(data)
        self.sock.sendall(self._z_out.compress(data) + self._z_out.flush(zlib.Z_SYNC_FLUSH))
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk: raise imaplib.IMAP4.abort('socket closed')
        self._z_wire += len(chunk)
        self._z_buf += self._z_in.decompress(chunk)
    def readline(self):
        if not hasattr(self, '_z_out'): return super().readline()
        while b'\\n' not in self._z_buf: self._fill()
        i = self._z_buf.index(b'\\n') + 1
        line, self._z_buf = self._z_buf[:i], self._z_buf[i:]
        return line
    def read(self, size):
        if not hasattr(self, '_z_out'): return super().read(size)
        while len(self._z_buf) < size: self._fill()
        data, self._z_buf = self._z_buf[:size], self._z_buf[size:]
        return data
imaplib.Commands['COMPRESS'] = ('AUTH', 'SELECTED')
c = Deflating(H, P, timeout=15)
c.starttls(CTX)
c.login('alice@example.test', 'pw-alice')
out['caps'] = c._simple_command('CAPABILITY')[0]
out['capability'] = list(c.capabilities)
out['compress'] = c.compress()
msg = ('Subject: python\\r\\n\\r\\n' + 'zlib body\\r\\n' * 500).encode()
out['append'] = c.append('INBOX', '(\\\\Seen)', None, msg)[0]
out['select'] = c.select('INBOX')
typ, data = c.fetch(out['select'][1][0].decode(), '(BODY.PEEK[])')
out['same'] = data[0][1] == msg
out['wire'] = c._z_wire
out['again'] = c._simple_command('COMPRESS', 'DEFLATE')[0]
typ, data = c._simple_command('NOOP')
out['noop'] = typ
out['logout'] = c.logout()[0]
`).catch((e): Record<string, any> => ({ error: String(e) }));
  t.notOk(out.error, out.error);
  t.equal(out.compress, 'OK', 'COMPRESS DEFLATE accepted');
  t.equal(out.append, 'OK');
  t.equal(out.select[0], 'OK');
  t.equal(out.same, true, 'the message fetched through the deflate layer is the one appended');
  t.ok(out.wire > 0 && out.wire < 5000, `the 5 kB message came back compressed (${out.wire} octets on the wire)`);
  t.equal(out.again, 'NO', 'a second COMPRESS is refused');
  t.equal(out.noop, 'OK');
  t.equal(out.logout, 'BYE');
});

/** `n` MiB of `byte`, raw-deflated, without holding the plain text in memory. */
async function deflatedRun(byte: string, mib: number): Promise<Buffer> {
  const d = zlib.createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  d.on('data', (b: Buffer) => parts.push(b));
  const block = Buffer.alloc(1024 * 1024, byte);
  for (let i = 0; i < mib; i++) if (!d.write(block)) await new Promise((r) => d.once('drain', r));
  await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
  d.destroy();
  return Buffer.concat(parts);
}

t.test('a decompression bomb as one endless line ends at imap.maxLineOctets', async (t) => {
  const bomb = await deflatedRun('A', 512);
  t.ok(bomb.length < 1024 * 1024, `512 MiB of line in ${bomb.length} compressed octets`);
  const c = await loggedIn();
  t.match(await compress(c), /^z OK/);
  global.gc?.();
  const before = process.memoryUsage().rss;
  const started = Date.now();
  c.writeRaw(bomb);
  t.match(await c.line(), /^\* BYE \[TOOBIG\] Command line too long/, 'the BYE comes compressed');
  await c.waitClosed();
  const grown = process.memoryUsage().rss - before;
  t.ok(grown < 128 * 1024 * 1024, `the server did not inflate the bomb into memory (rss +${Math.round(grown / 1048576)} MiB)`);
  t.ok(Date.now() - started < 30_000, 'nor spent its time inflating it after the limit');
  // the appliance is still serving
  const d = await loggedIn();
  t.match(await d.cmd('NOOP'), /^a OK/m);
  d.close();
});

t.test('a literal over the limit inside the compressed stream ends at the literal limit', async (t) => {
  const c = await loggedIn();
  t.match(await compress(c), /^z OK/);
  // over imap.maxMessageSize (50 MiB by default), non-synchronizing: the reader must end the session
  c.write(`a APPEND INBOX {${60 * 1024 * 1024}+}\r\n`);
  c.writeRaw(await deflatedRun('B', 8));
  t.match(await c.line(), /^\* BYE \[TOOBIG\] Literal too large/);
  await c.waitClosed();
});

t.test('a bomb of pipelined commands is answered in order under back-pressure', async (t) => {
  const c = await loggedIn();
  t.match(await compress(c), /^z OK/);
  const n = 5000;
  const commands = Array.from({ length: n }, (_, i) => `n${i} NOOP\r\n`).join('');
  const packed = zlib.deflateRawSync(Buffer.from(commands), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  t.ok(packed.length < commands.length / 4, `${commands.length} octets of commands in ${packed.length}`);
  c.writeRaw(packed);
  let inOrder = true;
  for (let i = 0; i < n; i++) {
    if (!(await c.line(60_000)).startsWith(`n${i} OK`)) inOrder = false;
  }
  t.ok(inOrder, `${n} NOOPs answered, in order`);
  t.match(await c.cmd('NOOP'), /^a OK/m, 'the session goes on');
  c.close();
});

t.test('corrupt deflate data ends the session with a BYE', async (t) => {
  const c = await loggedIn();
  t.match(await compress(c), /^z OK/);
  c.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  t.match(await c.line(), /^\* BYE Invalid compressed data/);
  await c.waitClosed();
});
