/**
 * The inspector document's edit list for real: steps over a model file (apply, undo, redo in VS Code's order,
 * undo after Save by inverse steps, a backup's JSON round trip) fold into the edits `mlw edit` takes, and
 * Save over the model writes the very bytes `mlw edit` writes for the same flags. Errors are one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { applyEditSteps, editBaseOf, type EditBase, type ModelEditStep } from '../../../src/core/onnx/edit/editSteps';
import { ModelEditList, type EditEntry } from '../../../src/core/onnx/edit/modelEditList';
import { ModelEditError, planModelEdit } from '../../../src/core/onnx/edit';
import { readModel } from '../../../src/core/onnx/readModel';
import { summarizeOnnxModel } from '../../../src/core/onnx/summarizeModel';
import { describeEditError, saveErrorMessage, saveModelEdits } from '../../../src/features/models/editing/saveModelEdits';
import { parseInspectorMessage } from '../../../src/shared/inspectorProtocol';
import { f32, model, valueInfo } from '../onnx/protoWriter';
import { tempDir, type TempDir } from '../onnx/tempFiles';

const MLW = resolve(__dirname, '../../../src/cli/mlw.js');

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-edit-list-');
});
after(async () => {
  await dir.remove();
});

/** x [2, 3] -> MatMul(w [3, 4]) -> y [2, 4], with two metadata entries. */
function writeModel(name: string): Promise<string> {
  return dir.write(
    name,
    model({
      metadata: { author: 'me', license: 'MIT' },
      graph: {
        nodes: [{ opType: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [3, 4], raw: f32(Array.from({ length: 12 }, (_, i) => i)) }],
        inputs: [valueInfo('x', DataType.FLOAT, [2, 3])],
        outputs: [valueInfo('y', DataType.FLOAT, [2, 4])],
      },
    }),
  );
}

async function baseOf(path: string): Promise<EditBase> {
  const s = await summarizeOnnxModel(await readModel(path));
  return editBaseOf({
    inputs: s.inputs,
    outputs: s.outputs,
    metadata: s.metadataProps,
    docString: s.docString,
    modelVersion: s.modelVersion,
  });
}

const STEPS: ModelEditStep[] = [
  { kind: 'renameInput', from: 'x', to: 'image' },
  // Named as shown after the rename.
  { kind: 'setDim', tensor: 'image', axis: 0, value: 'batch' },
  { kind: 'setDim', tensor: 'y', axis: 0, value: 'batch' },
  { kind: 'renameOutput', from: 'y', to: 'logits' },
  { kind: 'setMeta', key: 'author', value: 'team' },
  { kind: 'setMeta', key: 'labels', value: 'a,b,c,d' },
  { kind: 'removeMeta', key: 'license' },
  { kind: 'setDocString', value: 'A tiny matmul.' },
  { kind: 'setModelVersion', value: 7 },
];

/** What `mlw edit` is given for the same change, flag by flag. */
const CLI_FLAGS = [
  '--rename-input',
  'x=image',
  '--rename-output',
  'y=logits',
  '--set-dim',
  'x:0=batch',
  '--set-dim',
  'y:0=batch',
  '--set-meta',
  'author=team',
  '--set-meta',
  'labels=a,b,c,d',
  '--remove-meta',
  'license',
  '--doc',
  'A tiny matmul.',
  '--model-version',
  '7',
];

describe('ModelEditList', () => {
  it('folds steps named as shown into the edits mlw edit takes, in the file names', async () => {
    const list = new ModelEditList(await baseOf(await writeModel('fold.onnx')));
    for (const s of STEPS) list.edit(s);
    assert.deepEqual(list.modelEdits(), {
      renameInputs: [{ from: 'x', to: 'image' }],
      renameOutputs: [{ from: 'y', to: 'logits' }],
      setDims: [
        { tensor: 'x', axis: 0, value: 'batch' },
        { tensor: 'y', axis: 0, value: 'batch' },
      ],
      setMeta: [
        { key: 'author', value: 'team' },
        { key: 'labels', value: 'a,b,c,d' },
      ],
      removeMeta: ['license'],
      docString: 'A tiny matmul.',
      modelVersion: 7,
    });
    const edited = list.edited();
    assert.deepEqual(
      edited.inputs.map((t) => [t.source, t.name, t.shape, t.editedAxes]),
      [['x', 'image', ['batch', 3], [0]]],
    );
    assert.deepEqual(
      edited.metadata.map((m) => [m.key, m.value, m.edited]),
      [
        ['author', 'team', true],
        ['labels', 'a,b,c,d', true],
      ],
    );
    assert.deepEqual(edited.removedMeta, ['license']);
  });

  it('undoes and redoes in VS Code order, back to no edits and again to the same edits', async () => {
    const list = new ModelEditList(await baseOf(await writeModel('undo.onnx')));
    const entries = STEPS.map((s) => list.edit(s));
    const all = list.modelEdits();
    for (const e of [...entries].reverse()) list.undo(e);
    assert.equal(list.dirty, false);
    assert.deepEqual(list.modelEdits(), {});
    for (const e of entries) list.redo(e);
    assert.deepEqual(list.modelEdits(), all);
    // Renaming back to the file's name is no rename at all.
    list.edit({ kind: 'renameInput', from: 'image', to: 'x' });
    assert.equal(list.modelEdits().renameInputs, undefined);
  });

  it('refuses a step that does not fit, changing nothing', async () => {
    const list = new ModelEditList(await baseOf(await writeModel('refuse.onnx')));
    list.edit({ kind: 'renameInput', from: 'x', to: 'image' });
    const bad: ModelEditStep[] = [
      { kind: 'renameInput', from: 'x', to: 'z' }, // x is now called image
      { kind: 'renameInput', from: 'image', to: 'y' }, // y is the output
      { kind: 'setDim', tensor: 'image', axis: 2, value: 1 },
      { kind: 'removeMeta', key: 'nope' },
    ];
    for (const step of bad) assert.throws(() => list.edit(step), ModelEditError, JSON.stringify(step));
    assert.equal(list.steps.length, 1);
    // The full check (planModelEdit) also refuses a name any tensor of the model has.
    const model = await readModel(join(dir.path, 'refuse.onnx'));
    await assert.rejects(
      planModelEdit(model, list.modelEditsWith({ kind: 'renameOutput', from: 'y', to: 'w' }), () => Promise.resolve(new Map())),
      (e: Error) =>
        /the name w is already taken/.test(describeEditError(e.message)) && /^Rename output y → w: /.test(describeEditError(e.message)),
    );
  });

  it('round-trips a backup through JSON to the same edits and the same written model as mlw edit', async () => {
    const path = await writeModel('backup.onnx');
    const list = new ModelEditList(await baseOf(path));
    const entries: EditEntry[] = STEPS.map((s) => list.edit(s));
    list.undo(entries.at(-1) as EditEntry);
    list.redo(entries.at(-1) as EditEntry);
    const restored = new ModelEditList(await baseOf(path));
    restored.restore(JSON.parse(JSON.stringify(list.backup())));
    assert.deepEqual(restored.modelEdits(), list.modelEdits());

    const cliOut = join(dir.path, 'cli.onnx');
    const cli = spawnSync(process.execPath, [MLW, 'edit', path, ...CLI_FLAGS, '-o', cliOut], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    // Save: over the model itself, through a temporary file beside it.
    const result = await saveModelEdits(path, path, restored.modelEdits());
    assert.equal(result.output, path);
    assert.deepEqual(readFileSync(path), readFileSync(cliOut), 'Save writes what mlw edit writes');
    restored.saved();
    assert.equal(restored.dirty, false);
    // The saved file read back is the base the list moved to.
    assert.deepEqual(applyEditSteps(await baseOf(path), []), restored.edited());
  });

  it('undoes a saved edit by its inverse, and its redo is clean again', async () => {
    const path = await writeModel('saved.onnx');
    const list = new ModelEditList(await baseOf(path));
    const rename = list.edit({ kind: 'renameInput', from: 'x', to: 'image' });
    const dim = list.edit({ kind: 'setDim', tensor: 'image', axis: 0, value: 'batch' });
    await saveModelEdits(path, path, list.modelEdits());
    list.saved();
    list.rebase(await baseOf(path)); // the reload after Save: no edit lost, none doubled
    assert.equal(list.dirty, false);
    list.undo(dim);
    list.undo(rename);
    assert.deepEqual(list.modelEdits(), {
      renameInputs: [{ from: 'image', to: 'x' }],
      setDims: [{ tensor: 'image', axis: 0, value: 2 }],
    });
    list.redo(rename);
    list.redo(dim);
    assert.equal(list.dirty, false);
  });

  it('says why a save failed in one line with the way out', () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    assert.match(saveErrorMessage(denied, '/ro/m.onnx'), /^Not saved: cannot write in \/ro \(EACCES\)\. Use Save As…/);
    const taken = new ModelEditError('--rename-input x=w: the name w is already taken by a tensor of the model');
    const line = saveErrorMessage(taken, '/m.onnx');
    assert.match(line, /^Not saved: Rename input x → w: the name w is already taken.*undo it \(Ctrl\+Z\)/);
    assert.ok(!line.includes('\n'));
  });
});

describe('parseInspectorMessage: edit', () => {
  it('accepts well-formed steps and nothing else', () => {
    for (const step of STEPS) assert.deepEqual(parseInspectorMessage({ type: 'edit', step }), { type: 'edit', step });
    const bad: unknown[] = [
      { kind: 'renameInput', from: '', to: 'a' },
      { kind: 'renameInput', from: 'a' },
      { kind: 'setDim', tensor: 'x', axis: -1, value: 1 },
      { kind: 'setDim', tensor: 'x', axis: 0, value: null },
      { kind: 'setDim', tensor: 'x', axis: 0, value: 1.5 },
      { kind: 'setDim', tensor: 'x', axis: 0, value: ' ' },
      { kind: 'setMeta', key: '', value: 'v' },
      { kind: 'setModelVersion', value: '3' },
      { kind: 'setDocString', value: 'x'.repeat((1 << 20) + 1) },
      { kind: 'extract', inputs: [] },
      'renameInput',
    ];
    for (const step of bad) assert.equal(parseInspectorMessage({ type: 'edit', step }), undefined, JSON.stringify(step).slice(0, 80));
  });
});
