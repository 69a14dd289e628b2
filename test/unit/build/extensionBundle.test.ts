import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isCI } from '../../support/requires';

const bundle = path.resolve(__dirname, '../../../../dist/extension.js');

// Activation must stay cheap: the native runtime and the Docker client load only when a command needs them.
test('the extension bundle loads neither onnxruntime-node, dockerode nor sql.js at module load', (t) => {
  if (!existsSync(bundle)) {
    if (isCI) throw new Error(`${bundle} is missing: npm run build`);
    t.skip('dist/extension.js is missing: npm run build');
    return;
  }
  const text = readFileSync(bundle, 'utf8');
  const topLevel = text.split('\n').filter((l) => /^(var|const|let) \w+ = (__toESM\()?require\("onnxruntime-node"\)/.test(l));
  assert.deepEqual(topLevel, [], 'a module-level require of onnxruntime-node');
  assert.ok(!text.includes('node_modules/dockerode/'), 'dockerode is bundled into the extension host');
  // Docker commands load it from its own bundle beside the extension's, on first use.
  assert.ok(text.includes('import("./dockerode.js")'), 'the extension does not load dockerode from dist/dockerode.js');
  assert.ok(existsSync(path.join(path.dirname(bundle), 'dockerode.js')), 'dist/dockerode.js is missing');
  // sql.js (MLflow's mlflow.db) is initialized on first read, and its WebAssembly ships beside the bundle.
  const sqlJsAtLoad = text.split('\n').filter((l) => /^(var|const|let) \w+ = (__toESM\()?require_sql_wasm\(\)/.test(l));
  assert.deepEqual(sqlJsAtLoad, [], 'a module-level load of sql.js');
  assert.ok(text.includes('__toESM(require_sql_wasm())'), 'sql.js is not bundled, or not loaded lazily');
  assert.ok(existsSync(path.join(path.dirname(bundle), 'sql-wasm.wasm')), 'dist/sql-wasm.wasm is missing (esbuild.mjs copies it)');
});
