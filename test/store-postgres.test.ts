/**
 * The store contract (test/store-contract/suite.ts) on the PostgreSQL cluster store, against a
 * private PostgreSQL 15 started for this file; a fresh database per test, and a second store
 * instance on the same database stands for a second node.
 */
import t from 'tap';
import { openPostgresStore } from '../appliance/store/postgres/index.ts';
import { startPostgres } from './helpers/postgres.ts';
import { storeContract } from './store-contract/suite.ts';

const pg = await startPostgres();
t.teardown(() => pg.stop());
// the schema once, in a template copied per test (a copy is faster than creating the schema)
const template = 'contract_template';
await (await openPostgresStore({ url: await pg.database(template), nodeName: 'setup' })).close();

storeContract(t, {
  cluster: true,
  backend: async () => {
    const url = await pg.database(undefined, template);
    return { open: (node = 'node1') => openPostgresStore({ url, nodeName: node, poolSize: 8 }) };
  },
});
