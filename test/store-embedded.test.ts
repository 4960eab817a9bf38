/** The store contract (test/store-contract/suite.ts) on the embedded store (SQLite + files). */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { storeContract } from './store-contract/suite.ts';

const dirs: string[] = [];
t.teardown(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

storeContract(t, {
  cluster: false,
  backend: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-contract-'));
    dirs.push(dir);
    return { open: async () => openEmbeddedStore(dir) };
  },
});
