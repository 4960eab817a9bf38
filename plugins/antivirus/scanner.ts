/**
 * Scans a message through clamd with the clamscan package (INSTREAM over the UNIX socket or
 * TCP; the bytes are streamed, no temporary file). Every scan is bounded by a timeout, so a
 * hung or unreachable clamd yields an error, never a hang.
 */
import { Readable } from 'node:stream';
import NodeClam from 'clamscan';
import { MessageContent } from '../../core/store/content.ts';

export interface ScanResult {
  infected: boolean;
  viruses: string[];
}

export class ClamdScanner {
  private clam: Promise<NodeClam> | null = null;
  constructor(private readonly opts: { socket?: string; host: string; port?: number; timeoutMs: number }) {
    if (!opts.socket && !opts.port) throw new Error('antivirus: set clamd.socket or clamd.port');
  }

  private client(): Promise<NodeClam> {
    this.clam ??= new NodeClam().init({
      removeInfected: false,
      debugMode: false,
      preference: 'clamdscan',
      clamscan: { active: false },
      clamdscan: {
        socket: this.opts.socket ?? false, host: this.opts.host, port: this.opts.port ?? false,
        timeout: this.opts.timeoutMs, localFallback: false, active: true,
        // clamd may be down at start-up; each scan finds out on its own
        bypassTest: true,
      },
    }).catch((err: Error) => {
      this.clam = null;
      throw err;
    });
    return this.clam;
  }

  async scan(message: Buffer | MessageContent): Promise<ScanResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`clamd did not answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    });
    const run = (async () => {
      const clam = await this.client();
      const r = await clam.scanStream(Buffer.isBuffer(message) ? Readable.from([message]) : message.stream());
      if (r.isInfected === null) throw new Error(`clamd gave no verdict: ${(r as { resultString?: string }).resultString ?? ''}`);
      return { infected: !!r.isInfected, viruses: r.viruses ?? [] };
    })();
    run.catch(() => undefined); // a late failure after the timeout is not unhandled
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
