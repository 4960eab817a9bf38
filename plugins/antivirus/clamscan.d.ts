/** The part of the clamscan package (no published types) that antivirus uses. */
declare module 'clamscan' {
  import type { Readable } from 'node:stream';
  interface ScanStreamResult {
    isInfected: boolean | null;
    viruses: string[];
    resultString?: string;
    timeout?: boolean;
  }
  export default class NodeClam {
    init(options: Record<string, unknown>): Promise<NodeClam>;
    scanStream(stream: Readable): Promise<ScanStreamResult>;
  }
}
