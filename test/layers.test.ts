/**
 * The layer rule (scripts/check-layers.ts, `npm run check:layers`): core ← policies ← plugins ←
 * appliance. The repository has no import that runs the wrong way, and each kind of wrong import
 * planted in a small tree of its own is found.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { checkLayers } from '../scripts/check-layers.ts';

t.test('no import in the repository runs the wrong way', async (t) => {
  const root = path.resolve(import.meta.dirname, '..');
  const found = checkLayers(root);
  t.same(found.map((v) => `${v.file}:${v.line}: ${v.rule}: ${v.target}`), []);
});

t.test('every kind of wrong import is found', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('core/a.ts', "import { x } from '../appliance/x.ts';\nexport { y } from '../plugins/p/y.ts';\n");
  write('policies/b.ts', "import type { Z } from '../appliance/z.ts';\n");
  write('plugins/p/index.ts', "import {\n  a,\n} from '../q/a.ts';\nimport { s } from '../shared/s.ts';\nimport { c } from '../../core/c.ts';\n");
  write('plugins/q/index.ts', "const m = await import('../../appliance/m.ts');\n");
  write('appliance/ok.ts', "import { p } from '../plugins/p/index.ts';\n");
  const found = checkLayers(root).map((v) => `${v.file}:${v.line}: ${v.rule}`).sort();
  t.same(found, [
    'core/a.ts:1: core imports appliance',
    'core/a.ts:2: core imports plugins',
    'plugins/p/index.ts:3: a plugin imports another plugin',
    'plugins/q/index.ts:1: a plugin imports the appliance',
    'policies/b.ts:1: policies import appliance',
  ]);
});
