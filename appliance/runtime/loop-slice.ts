/**
 * Time slices for long loops on the protocol thread. One event loop serves every session of a
 * worker (DESIGN.md), so a loop over something as large as a 100,000-message mailbox gives the
 * loop back every few milliseconds instead of running to its end in one synchronous step.
 */

/**
 * Gives the loop back: resolves after the I/O callbacks that are waiting have run. A resolved
 * promise or process.nextTick would not do: both run before any I/O (and so does the callback
 * of a socket write the kernel took at once, which is why a writing loop must yield itself).
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How long a slice runs before it yields. Small against the "a few tens of milliseconds" a
 * request may hold the loop, so that a slice stays under it on a loaded machine too (2–3x slower).
 */
export const SLICE_MS = 8;

/**
 * A time budget for one loop: `if (slice.due()) await slice.next()` in the loop body yields
 * once the slice has run SLICE_MS. due() reads the clock only every 64 calls (a loop body can
 * be a few microseconds; reading the clock in each would cost more than the body).
 */
export class LoopSlice {
  private started = performance.now();
  private calls = 0;

  constructor(private readonly ms = SLICE_MS) {}

  due(): boolean {
    if ((++this.calls & 63) !== 0) return false;
    return performance.now() - this.started >= this.ms;
  }

  /** Yields, then starts a new slice. */
  async next(): Promise<void> {
    await yieldToLoop();
    this.started = performance.now();
  }
}

/** `items.map(fn)` in time slices (100,000 rows made into messages take 50–100 ms). */
export async function mapInSlices<T, U>(items: T[], fn: (item: T) => U): Promise<U[]> {
  const out: U[] = new Array(items.length);
  const slice = new LoopSlice();
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]);
    if (slice.due()) await slice.next();
  }
  return out;
}
