/** Execution provider lists: `--ep` and the settings, the fallback rule, install hints, and the settings' declaration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  allowsCpuFallback,
  EXECUTION_PROVIDERS,
  executionProvidersFromSettings,
  installHint,
  parseExecutionProviders,
  platformExecutionProviders,
} from '../../../src/core/ort/executionProviders';

test('--ep: comma-separated, trimmed, lower-cased, duplicates dropped, order kept', () => {
  assert.deepEqual(parseExecutionProviders('cuda,cpu'), ['cuda', 'cpu']);
  assert.deepEqual(parseExecutionProviders(' CUDA , tensorrt,cuda,, cpu '), ['cuda', 'tensorrt', 'cpu']);
  assert.deepEqual(parseExecutionProviders(['webgpu', 'cpu']), ['webgpu', 'cpu']);
  assert.throws(
    () => parseExecutionProviders('cuda,rocm'),
    /^Error: --ep: unknown execution provider 'rocm' \(known: cpu, cuda, tensorrt, dml, coreml, webgpu\)$/,
  );
  assert.throws(() => parseExecutionProviders(' , '), /--ep needs at least one execution provider/);
  assert.throws(
    () => parseExecutionProviders(['gpu'], 'mlWorkbench.executionProviders'),
    /^Error: mlWorkbench\.executionProviders: unknown execution provider 'gpu'/,
  );
});

test('fallback to CPU only when the list names cpu', () => {
  assert.equal(allowsCpuFallback(['cuda', 'cpu']), true);
  assert.equal(allowsCpuFallback(['cpu']), true);
  assert.equal(allowsCpuFallback(['cuda']), false);
  assert.equal(allowsCpuFallback(['cuda', 'tensorrt']), false);
});

test('the settings become one --ep list: fallback on appends cpu, off drops it unless it is alone', () => {
  assert.deepEqual(executionProvidersFromSettings(['cpu'], true), ['cpu']);
  assert.deepEqual(executionProvidersFromSettings(['cpu'], false), ['cpu']);
  assert.deepEqual(executionProvidersFromSettings(undefined, true), ['cpu']);
  assert.deepEqual(executionProvidersFromSettings([], false), ['cpu']);
  assert.deepEqual(executionProvidersFromSettings(['cuda'], true), ['cuda', 'cpu']);
  assert.deepEqual(executionProvidersFromSettings(['cuda', 'cpu'], true), ['cuda', 'cpu']);
  assert.deepEqual(executionProvidersFromSettings(['cuda'], false), ['cuda']);
  assert.deepEqual(executionProvidersFromSettings(['cuda', 'cpu'], false), ['cuda']);
  assert.deepEqual(executionProvidersFromSettings(['TensorRT', 'cuda'], true), ['tensorrt', 'cuda', 'cpu']);
  assert.throws(
    () => executionProvidersFromSettings(['opencl'], true),
    /mlWorkbench\.executionProviders: unknown execution provider 'opencl'/,
  );
});

test("install hints: CUDA and TensorRT come from onnxruntime-node's documented install variable", () => {
  // node_modules/onnxruntime-node/script/install.js reads ONNXRUNTIME_NODE_INSTALL (cuda12 = the CUDA 12 manifest).
  const script = readFileSync(require.resolve('onnxruntime-node/script/install.js'), 'utf8');
  assert.match(script, /ONNXRUNTIME_NODE_INSTALL/);
  assert.match(readFileSync(require.resolve('onnxruntime-node/script/install-metadata.js'), 'utf8'), /'linux\/x64': \['cuda12'\]/);
  for (const p of ['cuda', 'tensorrt']) {
    assert.match(installHint(p), /`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node`/);
    assert.match(
      installHint(p, '/x/onnxruntime-node/script/install.js'),
      /`ONNXRUNTIME_NODE_INSTALL=cuda12 node \/x\/onnxruntime-node\/script\/install\.js`/,
    );
  }
  assert.match(installHint('dml'), /Windows/);
  assert.match(installHint('coreml'), /macOS/);
  for (const p of EXECUTION_PROVIDERS) assert.ok(!installHint(p).includes('\n'), p);
});

test('candidates per platform, as onnxruntime-node ships them', () => {
  assert.deepEqual(platformExecutionProviders('linux', 'x64'), ['cpu', 'cuda', 'tensorrt', 'webgpu']);
  assert.deepEqual(platformExecutionProviders('linux', 'arm64'), ['cpu']);
  assert.deepEqual(platformExecutionProviders('win32', 'x64'), ['cpu', 'dml', 'webgpu']);
  assert.deepEqual(platformExecutionProviders('darwin', 'arm64'), ['cpu', 'coreml', 'webgpu']);
});

test('package.json declares both settings, with the providers as the enum and CPU as the default', () => {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as {
    contributes: {
      configuration: {
        properties: Record<string, { type: string; default: unknown; items?: { enum: string[] }; markdownDescription?: string }>;
      };
    };
  };
  const props = pkg.contributes.configuration.properties;
  const eps = props['mlWorkbench.executionProviders'];
  assert.equal(eps.type, 'array');
  assert.deepEqual(eps.default, ['cpu']);
  assert.deepEqual(eps.items?.enum, [...EXECUTION_PROVIDERS]);
  assert.match(eps.markdownDescription ?? '', /--ep/);
  const fallback = props['mlWorkbench.executionProviderFallback'];
  assert.equal(fallback.type, 'boolean');
  assert.equal(fallback.default, true);
  assert.match(fallback.markdownDescription ?? '', /[Ff]all back to CPU when a requested provider cannot load/);
});
