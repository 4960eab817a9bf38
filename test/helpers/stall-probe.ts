/**
 * A probe in its own process (Python), so that a stalled appliance cannot stall it too: one
 * connection each to SMTP, IMAP and POP3 sending NOOP every `intervalMs` and timing the reply.
 * start() resolves once every connection is ready; stop() returns the delays per protocol.
 */
import { spawn } from 'node:child_process';

const SCRIPT = String.raw`
import socket, sys, threading, time, json
host = '127.0.0.1'
# the probe is a user elsewhere: its own source address, apart from the attackers' per-IP limits
source = ('127.0.0.3', 0)
smtp, imap, pop3, user, password, interval = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6]) / 1000
stop = threading.Event()
delays = {'smtp': [], 'imap': [], 'pop3': []}
errors = []
def reader(s):
    buf = b''
    def line():
        nonlocal buf
        while b'\r\n' not in buf:
            d = s.recv(65536)
            if not d: raise EOFError('closed')
            buf += d
        l, buf = buf.split(b'\r\n', 1)
        return l
    return line
def smtp_reply(line):
    while True:
        l = line()
        if len(l) < 4 or l[3:4] != b'-': return l
def run(name, port, setup, noop, done):
    try:
        s = socket.create_connection((host, port), timeout=120, source_address=source)
        line = reader(s)
        setup(s, line)
        ready.release()
        while not stop.is_set():
            t0 = time.monotonic()
            s.sendall(noop)
            done(line)
            delays[name].append(((time.monotonic() - t0) * 1000, (t0 - begin) * 1000))
            rest = interval - (time.monotonic() - t0)
            if rest > 0: time.sleep(rest)
        s.close()
    except Exception as e:
        errors.append('%s: %r' % (name, e))
        ready.release()
def smtp_setup(s, line):
    smtp_reply(line); s.sendall(b'EHLO probe.test\r\n'); smtp_reply(line)
def imap_setup(s, line):
    line()
def imap_done(line):
    while not line().startswith(b'p '): pass
def pop3_setup(s, line):
    line(); s.sendall(b'USER ' + user.encode() + b'\r\n'); line(); s.sendall(b'PASS ' + password.encode() + b'\r\n')
    r = line()
    if not r.startswith(b'+OK'): raise Exception('pop3 login: %r' % r)
ready = threading.Semaphore(0)
begin = time.monotonic()
threads = [
    threading.Thread(target=run, args=('smtp', smtp, smtp_setup, b'NOOP\r\n', smtp_reply)),
    threading.Thread(target=run, args=('imap', imap, imap_setup, b'p NOOP\r\n', imap_done)),
    threading.Thread(target=run, args=('pop3', pop3, pop3_setup, b'NOOP\r\n', lambda line: line())),
]
for th in threads: th.daemon = True; th.start()
for _ in threads: ready.acquire()
begin = time.monotonic()
print('ready', flush=True)
sys.stdin.read()
stop.set()
for th in threads: th.join(130)
def stats(d):
    if not d: return {'count': 0, 'worst': None, 'p99': None, 'top': []}
    s = sorted(d)
    return {'count': len(s), 'worst': s[-1][0], 'p99': s[min(len(s) - 1, int(len(s) * 0.99))][0], 'top': [[round(at), round(ms)] for ms, at in s[-3:]]}
print(json.dumps({'errors': errors, **{k: stats(v) for k, v in delays.items()}}), flush=True)
`;

/** `top`: the three longest delays as [ms after the probe was ready, delay ms]. */
export interface ProbeStats { count: number; worst: number | null; p99: number | null; top: [number, number][] }
export interface ProbeResult { errors: string[]; smtp: ProbeStats; imap: ProbeStats; pop3: ProbeStats }

export interface Probe {
  stop(): Promise<ProbeResult>;
}

export function startStallProbe(o: { smtpPort: number; imapPort: number; pop3Port: number; user: string; password: string; intervalMs?: number }): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT, String(o.smtpPort), String(o.imapPort), String(o.pop3Port), o.user, o.password, String(o.intervalMs ?? 20)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let started = false;
    const finished = new Promise<ProbeResult>((res, rej) => {
      child.once('exit', (code) => {
        const last = out.trim().split('\n').pop() ?? '';
        try {
          res(JSON.parse(last) as ProbeResult);
        } catch {
          rej(new Error(`stall probe exited ${code}: ${out}`));
        }
      });
    });
    finished.catch(reject);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (!started && out.includes('ready\n')) {
        started = true;
        resolve({ stop: () => (child.stdin.end(), finished) });
      }
    });
  });
}
