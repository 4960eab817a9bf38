// The thread of a Checkpointer (checkpointer.ts): its own connection to the database, copying
// the WAL back into it with PASSIVE checkpoints (sqlite.org/wal.html#ckpt), which wait for no
// reader or writer. Plain JavaScript: a worker thread does not inherit the process's TypeScript
// loader (see appliance/runtime/work-thread.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';

const { file, driver, intervalMs } = workerData;
const Database = createRequire(import.meta.url)(driver);
const db = new Database(file, { fileMustExist: true });
// a checkpoint fsyncs the WAL before it copies frames and the database after (NORMAL and FULL
// alike); the busy handler covers only the moment another connection runs recovery
db.pragma('busy_timeout = 100');
// this connection never writes: it must not checkpoint on a commit either
db.pragma('wal_autocheckpoint = 0');

function checkpoint() {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ t: 'failed', message: String(err && err.message) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
