/** Runs a benchmark's main, cleans up whatever happens, and exits 0 or 1 with the reason. */
export function runBench(name: string, main: () => Promise<void>, cleanup: () => void): void {
  main().then(
    () => {
      cleanup();
      process.exit(0);
    },
    (err: unknown) => {
      console.error(`${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      cleanup();
      process.exit(1);
    },
  );
}
