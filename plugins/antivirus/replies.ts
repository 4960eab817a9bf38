/** Every reply antivirus gives, by stable name (DESIGN.md convention 12). */
import { reject, tempfail } from '../../core/verdict.ts';

export const AV_REPLIES = {
  /** AV-1: names what clamd found. */
  virus: (names: string[]) => reject(`Message refused: virus found (${names.join(', ')})`, { code: 554, enhanced: '5.7.1' }),
  scannerDown: () => tempfail('Virus scanner unavailable, try again later', { code: 451, enhanced: '4.3.0' }),
} as const;
