/**
 * The inspector's structural edits for real: renaming a node, adding an intermediate tensor as a graph output,
 * removing an output and extracting a subgraph fold into the edits `mlw edit` takes; undo and redo give them back;
 * Save writes a file that onnxruntime-node loads with the new outputs and python3-onnx's checker accepts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { applyEditSteps, editBaseOf, inverseEditStep, toModelEdits, type ModelEditStep } from '../../../src/core/onnx/edit/editSteps';
import { ModelEditList } from '../../../src/core/onnx/edit/modelEditList';
import { ModelEditError } from '../../../src/core/onnx/edit';
import { readModel } from '../../../src/core/onnx/readModel';
import { summarizeOnnxModel } from '../../../src/core/onnx/summarizeModel';
import { saveModelEdits } from '../../../src/features/models/editing/saveModelEdits';
import { parseInspectorMessage } from '../../../src/shared/inspectorProtocol';
import { f32, model, valueInfo } from '../onnx/protoWriter';
import { tempDir, type TempDir } from '../onnx/tempFiles';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-structure-edits-');
});
after(async () => {
  await dir.remove();
});

/** x [2, 3] -> MatMul "mm" (w [3, 4]) -> h -> Relu "act" -> y [2, 4]; h has no value_info (its type is inferred). */
function writeModel(name: string): Promise<string> {
  return dir.write(
    name,
    model({
      graph: {
        nodes: [
          { opType: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['h'] },
          { opType: 'Relu', name: 'act', inputs: ['h'], outputs: ['y'] },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [3, 4], raw: f32(Array.from({ length: 12 }, (_, i) => i - 6)) }],
        inputs: [valueInfo('x', DataType.FLOAT, [2, 3])],
        outputs: [valueInfo('y', DataType.FLOAT, [2, 4])],
      },
    }),
  );
}

async function listOf(path: string): Promise<ModelEditList> {
  const s = await summarizeOnnxModel(await readModel(path));
  return new ModelEditList(
    editBaseOf({ inputs: s.inputs, outputs: s.outputs, metadata: s.metadataProps, docString: s.docString, modelVersion: s.modelVersion }),
  );
}

async function outputsOf(path: string): Promise<{ names: string[]; dims: Record<string, readonly number[]> }> {
  const session = await ort.InferenceSession.create(path);
  try {
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 1]), [2, 3]);
    const out = await session.run({ [session.inputNames[0]]: x });
    return { names: [...session.outputNames], dims: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dims])) };
  } finally {
    await session.release();
  }
}

function pythonCheck(path: string): void {
  execFileSync(SYSTEM_PYTHON, ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', path]);
}

const STEPS: ModelEditStep[] = [
  { kind: 'renameNode', from: 'mm', to: 'fc' },
  { kind: 'renameNode', from: 'fc', to: 'project' }, // named as shown after the first rename
  { kind: 'addOutput', tensor: 'h' },
  { kind: 'removeOutput', output: 'y' },
];

describe('structural edits in the inspector', () => {
  it('fold into the edits mlw edit takes, undo to none, and save a model that loads and checks', async (t) => {
    const path = await writeModel('structure.onnx');
    const list = await listOf(path);
    const entries = STEPS.map((s) => list.edit(s));
    const edits = list.modelEdits();
    assert.deepEqual(edits, { removeOutputs: ['y'], addOutputs: ['h'], renameNodes: [{ from: 'mm', to: 'project' }] });
    assert.deepEqual(
      list.edited().outputs.map((o) => [o.name, o.added ?? false]),
      [['h', true]],
    );
    for (const e of [...entries].reverse()) list.undo(e);
    assert.deepEqual(list.modelEdits(), {});
    for (const e of entries) list.redo(e);
    assert.deepEqual(list.modelEdits(), edits);

    await saveModelEdits(path, path, edits);
    const saved = await readModel(path);
    assert.deepEqual(
      saved.graph.nodes.map((n) => n.name),
      ['project', 'act'],
    );
    assert.deepEqual(await outputsOf(path), { names: ['h'], dims: { h: [2, 4] } });
    if (needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install python3-onnx')) pythonCheck(path);
  });

  it('refuses what does not fit: the last output, an output twice, a taken node name', async () => {
    const list = await listOf(await writeModel('refuse.onnx'));
    assert.throws(() => list.edit({ kind: 'removeOutput', output: 'y' }), /would have no outputs/);
    assert.throws(() => list.edit({ kind: 'addOutput', tensor: 'y' }), /already a graph output/);
    list.edit({ kind: 'renameNode', from: 'mm', to: 'fc' });
    assert.throws(() => list.edit({ kind: 'renameNode', from: 'act', to: 'fc' }), ModelEditError);
    assert.throws(() => list.edit({ kind: 'renameNode', from: 'mm', to: 'x2' }), /no node is named mm now/);
    assert.equal(list.steps.length, 1);
  });

  it('takes back removing a renamed output by adding it under its name', async () => {
    const list = await listOf(await writeModel('inverse.onnx'));
    list.edit({ kind: 'addOutput', tensor: 'h' });
    list.edit({ kind: 'renameOutput', from: 'y', to: 'z' });
    const before = list.edited();
    const remove: ModelEditStep = { kind: 'removeOutput', output: 'z' };
    const inverse = inverseEditStep(before, remove);
    assert.deepEqual(inverse, { kind: 'addOutput', tensor: 'y', name: 'z' });
    const base = editBaseOf({
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: [{ name: 'y', shape: [2, 4] }],
      metadata: [],
      docString: '',
      modelVersion: 0,
    });
    const after = applyEditSteps(base, [...list.steps, remove, inverse]);
    assert.deepEqual(
      after.outputs.map((o) => o.name),
      ['h', 'z'],
    );
    assert.deepEqual(toModelEdits(after), {
      removeOutputs: ['y'],
      addOutputs: ['h', 'y'],
      renameOutputs: [{ from: 'y', to: 'z' }],
    });
  });

  it('extracts the subgraph between chosen tensors and saves it', async (t) => {
    const path = await writeModel('extract.onnx');
    const out = `${path}.extracted.onnx`;
    const list = await listOf(path);
    const extract = list.edit({ kind: 'extract', inputs: ['h'], outputs: ['y'] });
    assert.deepEqual(list.modelEdits(), { extract: { inputs: ['h'], outputs: ['y'] } });
    assert.deepEqual(
      list.edited().inputs.map((i) => i.name),
      ['h'],
    );
    await saveModelEdits(path, out, list.modelEdits());
    const saved = await readModel(out);
    assert.deepEqual(
      saved.graph.nodes.map((n) => n.name),
      ['act'],
    );
    const session = await ort.InferenceSession.create(out);
    assert.deepEqual([session.inputNames, session.outputNames], [['h'], ['y']]);
    await session.release();
    if (needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install python3-onnx')) pythonCheck(out);
    list.undo(extract);
    assert.deepEqual(list.modelEdits(), {});
  });

  it('parses the new steps from the webview and refuses malformed ones', () => {
    const good: ModelEditStep[] = [
      ...STEPS,
      { kind: 'addOutput', tensor: 'y', name: 'z' },
      { kind: 'extract', inputs: [], outputs: ['y'] },
    ];
    for (const step of good) assert.deepEqual(parseInspectorMessage({ type: 'edit', step }), { type: 'edit', step });
    const bad: unknown[] = [
      { kind: 'renameNode', from: 'a', to: '' },
      { kind: 'addOutput', tensor: '' },
      { kind: 'addOutput', tensor: 'h', name: 3 },
      { kind: 'removeOutput' },
      { kind: 'extract', inputs: ['a'], outputs: [] },
      { kind: 'extract', inputs: 'a', outputs: ['b'] },
    ];
    for (const step of bad) assert.equal(parseInspectorMessage({ type: 'edit', step }), undefined, JSON.stringify(step));
  });
});
