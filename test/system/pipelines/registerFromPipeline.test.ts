/**
 * A model registered from a pipeline's output gets the pipeline's metrics: real Python stages run by `runPipeline`
 * (without DVC), then `mlw registry register model.bin --name clf` in-process. The version names the export stage's
 * run, holds the numbers of evaluate's metrics.json (nested keys dotted) and records where they came from; a stale
 * evaluate stage contributes nothing, and a stale producing stage means no pipeline origin at all.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readPipeline } from '../../../src/core/pipelines/readPipeline';
import { runPipeline } from '../../../src/core/pipelines/runPipeline';
import { RunStore } from '../../../src/core/runs/RunStore';
import { registryCommand } from '../../../src/cli/commands/registry';
import { silentLogger } from '../../../src/core/logger';
import type { RegisteredModel } from '../../../src/core/registry/registryTypes';
import { tempDir } from '../../unit/runs/runsTestSupport';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
}

const PROJECT: Record<string, string> = {
  'params.yaml': 'epochs: 3\n',
  'train.py': `import sys, yaml
epochs = yaml.safe_load(open('params.yaml'))['epochs']
open('model.txt', 'w').write('weights after %d epochs\\n' % epochs)
`,
  'evaluate.py': `import json
w = open('model.txt').read()
json.dump({'accuracy': 0.9, 'per_class': {'a': {'f1': 0.75}, 'b': {'f1': 0.5}}, 'note': 'text is not a metric'}, open('metrics.json', 'w'))
`,
  'export.py': `open('model.bin', 'wb').write(open('model.txt', 'rb').read() + b'exported')
`,
  'dvc.yaml': `stages:
  train:
    cmd: python3 train.py
    deps: [train.py]
    params: [epochs]
    outs: [model.txt]
  evaluate:
    cmd: python3 evaluate.py
    deps: [evaluate.py, model.txt]
    metrics:
      - metrics.json:
          cache: false
  export:
    cmd: python3 export.py
    deps: [export.py, model.txt]
    outs: [model.bin]
`,
};

async function register(root: string, name: string): Promise<{ code: number; out: string; model: RegisteredModel }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    workspace: root,
    json: false,
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  const code = await registryCommand.run(['register', 'model.bin', '--name', name], ctx);
  assert.equal(code, 0, err.join('\n'));
  const model = JSON.parse(readFileSync(path.join(root, '.mlw', 'registry', `${name}.json`), 'utf8')) as RegisteredModel;
  return { code, out: out.join('\n'), model };
}

describe('registering a pipeline output (real Python stages)', () => {
  it("records the pipeline's metrics files and the producing stage's run", async () => {
    const root = tempDir('mlw-pl-reg-');
    write(root, PROJECT);
    const store = new RunStore(root, silentLogger);
    const r = await runPipeline(await readPipeline(root), { store, dvc: false });
    assert.equal(r.ok, true, r.error);
    const exportRun = r.stages.find((s) => s.stage === 'export')?.runId;
    assert.ok(exportRun);

    const first = await register(root, 'clf');
    const v1 = first.model.versions[0];
    assert.equal(v1.source.runId, exportRun, 'the run that produced the file is the export stage run');
    assert.equal(v1.source.artifact, 'model.bin');
    assert.deepEqual(Object.fromEntries(Object.entries(v1.metrics).filter(([k]) => k === 'accuracy' || k.startsWith('per_class.'))), {
      accuracy: 0.9,
      'per_class.a.f1': 0.75,
      'per_class.b.f1': 0.5,
    });
    assert.ok(!('note' in v1.metrics), 'a string is not a metric');
    assert.deepEqual(v1.pipeline, {
      stage: 'export',
      metricsFrom: [{ file: 'metrics.json', stage: 'evaluate', keys: ['accuracy', 'per_class.a.f1', 'per_class.b.f1'] }],
    });
    assert.match(first.out, /pipeline stage export, metrics from metrics\.json \(evaluate\)/);

    // evaluate.py edited: its metrics.json no longer describes what evaluate would say now, so it is left out.
    writeFileSync(path.join(root, 'evaluate.py'), PROJECT['evaluate.py'] + '# edited\n');
    const second = await register(root, 'clf2');
    const v = second.model.versions[0];
    assert.deepEqual(v.pipeline, { stage: 'export', metricsFrom: [] });
    assert.ok(!('accuracy' in v.metrics), JSON.stringify(v.metrics));

    // A param of train changed: model.bin is not what the pipeline makes now; no pipeline origin.
    writeFileSync(path.join(root, 'params.yaml'), 'epochs: 4\n');
    const third = await register(root, 'clf3');
    assert.equal(third.model.versions[0].pipeline, undefined);
    assert.equal(third.model.versions[0].source.runId, null);
    assert.deepEqual(third.model.versions[0].metrics, {});
  });
});
