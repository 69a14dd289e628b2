/**
 * ML: Retrain on Recent Data… in a real extension host: a champion trained by a real /usr/bin/python3 run (numpy and
 * onnx: a logistic model on feature 0), requests captured by the server's capture writer whose labels follow
 * feature 1, ground truth by request id; the command, run as the Registry group's context menu runs it (with the
 * configured interpreter), registers the retrained model as challenger with both evaluations on the same holdout.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { Command } from '../../src/commandIds';
import { addVersion, emptyModel, moveAlias } from '../../src/core/registry/aliasMoves';
import { describeNewVersion } from '../../src/core/registry/registerVersion';
import { RegistryStore } from '../../src/core/registry/RegistryStore';
import { launchRun } from '../../src/core/runs/launchRun';
import { RunStore } from '../../src/core/runs/RunStore';
import { ModelCapture } from '../../src/core/serve/capture/modelCapture';
import { silentLogger } from '../../src/core/logger';
import { registryChildren, registryGroup } from '../../src/features/models/registry/registryNodes';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

/** Fits a logistic model on feature 0 (and, with --recent_data, on the recent rows too) and exports it as ONNX. */
const TRAIN = `import sys, os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 2)).astype(np.float32)
y = (x[:, 0] > 0).astype(np.float32)
if args.get("recent_data"):
    d = args["recent_data"]
    x = np.load(os.path.join(d, "features.npy"))
    y = np.load(os.path.join(d, "labels.npy"))
    print("recent data: %d rows" % len(x))
w = np.zeros(2); b = 0.0
for _ in range(500):
    p = 1 / (1 + np.exp(-(x @ w + b)))
    w -= 0.5 * x.T @ (p - y) / len(y); b -= 0.5 * float((p - y).mean())
W = numpy_helper.from_array(w.reshape(2, 1).astype(np.float32), "W")
B = numpy_helper.from_array(np.array([b], np.float32), "B")
g = helper.make_graph([helper.make_node("Gemm", ["features", "W", "B"], ["z"]), helper.make_node("Sigmoid", ["z"], ["probability"])],
    "lr", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 2])],
    [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])], initializer=[W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, "retrain_model.onnx")
print("accuracy=%.4f" % float(((1 / (1 + np.exp(-(x @ w + b))) > 0.5) == (y > 0.5)).mean()))
`;

describe('Retrain on Recent Data', () => {
  let folder = '';
  const config = () => vscode.workspace.getConfiguration('mlWorkbench');
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await config().update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await config().update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    for (const p of ['.mlw/registry/lr.json', '.mlw/captures/lr', '.mlw/retrain/lr', 'retrain_train.py', 'retrain_model.onnx'])
      await fsp.rm(path.join(folder, p), { recursive: true, force: true });
  });

  it('retrains the champion on the captured requests and registers the challenger with both evaluations', async function () {
    this.timeout(240_000);
    await fsp.writeFile(path.join(folder, 'retrain_train.py'), TRAIN);
    const runs = new RunStore(folder);
    const handle = await launchRun({
      store: runs,
      script: 'retrain_train.py',
      interpreter: '/usr/bin/python3',
      git: false,
      systemMetricsInterval: 0,
    });
    const champion = await handle.done;
    assert.equal(champion.status, 'finished', champion.outputTail);
    const fields = await describeNewVersion(folder, { runId: champion.id, artifact: 'retrain_model.onnx' }, { by: 'integration' });
    const store = new RegistryStore(folder);
    await store.update('lr', async () => {
      const added = addVersion(emptyModel('lr'), fields);
      return {
        model: moveAlias(added.model, 'champion', 1, { action: 'promote', at: new Date().toISOString(), by: 'integration' }),
        result: undefined,
      };
    });

    // 100 captured requests of 2 rows whose labels now follow feature 1, the ground truth keyed by request id.
    const cap = new ModelCapture(
      'lr',
      { rate: 1, dir: path.join(folder, '.mlw', 'captures'), maxBytes: 1e8, rotateBytes: 4096, flushDelayMs: 1 },
      silentLogger,
    );
    const truth: string[] = [];
    for (let k = 0; k < 100; k++) {
      const data = Float32Array.from([Math.sin(k), Math.cos(k * 1.7), Math.cos(k), Math.sin(k * 2.3)]);
      cap.offer({
        time: new Date().toISOString(),
        id: `q${k}`,
        protocol: 'v2',
        inputs: [{ name: 'features', tensor: { datatype: 'FP32', shape: [2, 2], data } }],
        outputs: [{ name: 'probability', tensor: { datatype: 'FP32', shape: [2, 1], data: new Float32Array(2) } }],
      });
      truth.push(JSON.stringify({ id: `q${k}`, label: [data[1] > 0 ? 1 : 0, data[3] > 0 ? 1 : 0] }));
    }
    await cap.close();
    await fsp.writeFile(path.join(folder, '.mlw', 'captures', 'lr', 'ground-truth.jsonl'), truth.join('\n') + '\n');

    const group = await registryGroup();
    const node = registryChildren(group!).find((n) => n.type === 'registeredModel' && n.model.name === 'lr')!;
    // The success message waits for a click: the command is left running while the registry is watched.
    void vscode.commands.executeCommand(Command.retrainOnRecentData, node);
    const model = await waitFor(
      'the challenger to be registered',
      async () => {
        const m = await store.read('lr');
        return m?.aliases.challenger === 2 ? m : undefined;
      },
      200_000,
    );
    const [v1, v2] = model.versions;
    assert.deepEqual(model.aliases, { challenger: 2, champion: 1 });
    assert.equal(v1.evaluations?.[0].data.sha256, v2.evaluations?.[0].data.sha256);
    assert.equal(v2.evaluations![0].metrics.rows, 60);
    assert.ok(
      v2.evaluations![0].metrics.accuracy > v1.evaluations![0].metrics.accuracy + 0.2,
      `challenger ${v2.evaluations![0].metrics.accuracy} vs champion ${v1.evaluations![0].metrics.accuracy}`,
    );
    const run = (await runs.readRun(v2.source.runId!))!;
    assert.equal(run.interpreter, '/usr/bin/python3', 'the configured interpreter');
    assert.match(String(run.params.recent_data), /^\.mlw\/retrain\/lr\/\d{8}T\d{6}Z(-\d+)?\/train$/);
  });
});
