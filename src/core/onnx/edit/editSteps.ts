/**
 * The inspector's edits as a list of small steps, each naming what the user saw when making it (the current
 * name of an input, after earlier renames). Folding the steps over the model they start from gives what the
 * edited model shows (`applyEditSteps`) and the one `ModelEdits` that `editModelFile` writes (`toModelEdits`),
 * in the source model's names, exactly what `mlw edit` would be given. Node names and intermediate tensors are
 * checked against the model by planModelEdit, not here (the base lists only the signature). Every step has an inverse, so an edit
 * already saved can be undone by a new step. Pure: no Node, no vscode.
 */
import { ModelEditError, type ModelEdits } from './modelEdits';

/** A dimension as the summary shows it: a size, a symbolic name, or null for unknown. */
export type StepDim = number | string | null;

export type ModelEditStep =
  | { kind: 'renameInput' | 'renameOutput'; from: string; to: string }
  /** `value` null only in an inverse step (a dim that was unknown): it cannot be written, only undone before Save. */
  | { kind: 'setDim'; tensor: string; axis: number; value: number | string | null }
  | { kind: 'setMeta'; key: string; value: string }
  | { kind: 'removeMeta'; key: string }
  | { kind: 'setDocString'; value: string }
  | { kind: 'setModelVersion'; value: number }
  | { kind: 'renameNode'; from: string; to: string }
  /** A tensor of the graph made an output; `name` renames it at once (the inverse of removing a renamed output). */
  | { kind: 'addOutput'; tensor: string; name?: string }
  | { kind: 'removeOutput'; output: string }
  /** Keeps the subgraph between these tensors (current names), as onnx.utils.extract_model does. */
  | { kind: 'extract'; inputs: string[]; outputs: string[] };

export type ModelEditStepKind = ModelEditStep['kind'];

/** What the steps start from: the model file's inputs, outputs, metadata, doc string and version. */
export interface EditBase {
  inputs: { name: string; shape?: StepDim[] }[];
  outputs: { name: string; shape?: StepDim[] }[];
  metadata: { key: string; value: string }[];
  docString: string;
  modelVersion: number;
}

export interface EditedTensor {
  /** The name in the model file. */
  source: string;
  name: string;
  shape?: StepDim[];
  /** Axes whose dimension differs from the file's. */
  editedAxes: number[];
  /** An output added by an edit (not one of the file's, or one removed and added again). */
  added?: boolean;
}

/** The model as the steps leave it, each field marked where it differs from the file. */
export interface EditedModel {
  inputs: EditedTensor[];
  outputs: EditedTensor[];
  /** In the file's order, added keys after; `edited` when added or changed. */
  metadata: { key: string; value: string; edited: boolean }[];
  removedMeta: string[];
  docString: string;
  docStringEdited: boolean;
  modelVersion: number;
  modelVersionEdited: boolean;
  /** Nodes of the main graph renamed: the file's name and the new one. */
  nodes: { source: string; name: string }[];
  /** File outputs (source names) that are outputs no more. */
  removedOutputs: string[];
  /** The pending extraction, in the file's names. */
  extract?: { inputs: string[]; outputs: string[] };
}

export function editBaseOf(summary: EditBase): EditBase {
  const io = (v: { name: string; shape?: StepDim[] }) => ({ name: v.name, ...(v.shape ? { shape: [...v.shape] } : {}) });
  return {
    inputs: summary.inputs.map(io),
    outputs: summary.outputs.map(io),
    metadata: summary.metadata.map((e) => ({ key: e.key, value: e.value })),
    docString: summary.docString,
    modelVersion: summary.modelVersion,
  };
}

const sameDim = (a: StepDim | undefined, b: StepDim | undefined): boolean => a === b || (a == null && b == null);

/** Applies one step to an edited model in place; a step that does not fit is a ModelEditError, and nothing changes. */
function applyStep(base: EditBase, model: EditedModel, step: ModelEditStep): void {
  switch (step.kind) {
    case 'renameInput':
    case 'renameOutput': {
      const what = step.kind === 'renameInput' ? 'input' : 'output';
      const list = step.kind === 'renameInput' ? model.inputs : model.outputs;
      const t = list.find((e) => e.name === step.from);
      if (t === undefined) throw new ModelEditError(`--rename-${what} ${step.from}=${step.to}: ${step.from} is not a graph ${what}`);
      if (step.to === '') throw new ModelEditError(`--rename-${what} ${step.from}=: the new name must be non-empty`);
      const taken = [...model.inputs, ...model.outputs].some((e) => e !== t && e.name === step.to);
      if (taken) {
        throw new ModelEditError(`--rename-${what} ${step.from}=${step.to}: the name ${step.to} is already taken by a tensor of the model`);
      }
      t.name = step.to;
      return;
    }
    case 'setDim': {
      const flag = `--set-dim ${step.tensor}:${step.axis}=${step.value ?? '?'}`;
      const t = model.inputs.find((e) => e.name === step.tensor) ?? model.outputs.find((e) => e.name === step.tensor);
      if (t === undefined) throw new ModelEditError(`${flag}: ${step.tensor} is not a graph input or output`);
      if (t.shape === undefined) throw new ModelEditError(`${flag}: ${step.tensor} has no shape (its rank is unknown)`);
      if (!Number.isInteger(step.axis) || step.axis < 0 || step.axis >= t.shape.length) {
        throw new ModelEditError(`${flag}: axis ${step.axis} is out of range for ${step.tensor}, which has ${t.shape.length} dimensions`);
      }
      if (typeof step.value === 'number' && (!Number.isSafeInteger(step.value) || step.value < 0)) {
        throw new ModelEditError(`${flag}: a dimension is a non-negative integer or a name`);
      }
      if (typeof step.value === 'string' && step.value.trim() === '')
        throw new ModelEditError(`${flag}: a dimension name must be non-empty`);
      t.shape[step.axis] = step.value;
      return;
    }
    case 'setMeta': {
      if (step.key === '') throw new ModelEditError(`--set-meta =${step.value}: the key must be non-empty`);
      const e = model.metadata.find((m) => m.key === step.key);
      if (e) e.value = step.value;
      else model.metadata.push({ key: step.key, value: step.value, edited: true });
      model.removedMeta = model.removedMeta.filter((k) => k !== step.key);
      return;
    }
    case 'removeMeta': {
      const at = model.metadata.findIndex((m) => m.key === step.key);
      if (at < 0) throw new ModelEditError(`--remove-meta ${step.key}: the model has no metadata entry ${step.key}`);
      model.metadata.splice(at, 1);
      if (base.metadata.some((m) => m.key === step.key)) model.removedMeta.push(step.key);
      return;
    }
    case 'setDocString':
      model.docString = step.value;
      return;
    case 'setModelVersion':
      if (!Number.isSafeInteger(step.value)) throw new ModelEditError(`--model-version ${step.value}: not an integer`);
      model.modelVersion = step.value;
      return;
    case 'renameNode': {
      const flag = `--rename-node ${step.from}=${step.to}`;
      if (step.from === '' || step.to === '') throw new ModelEditError(`${flag}: both names must be non-empty`);
      const renamed = model.nodes.find((n) => n.name === step.from);
      if (!renamed && model.nodes.some((n) => n.source === step.from))
        throw new ModelEditError(`${flag}: no node is named ${step.from} now`);
      if (model.nodes.some((n) => n !== renamed && n.name === step.to)) {
        throw new ModelEditError(`${flag}: the name ${step.to} is already taken by a node`);
      }
      if (renamed) renamed.name = step.to;
      else model.nodes.push({ source: step.from, name: step.to });
      return;
    }
    case 'addOutput': {
      const name = step.name ?? step.tensor;
      const flag = `--add-output ${step.tensor}`;
      if (step.tensor === '' || name === '') throw new ModelEditError(`${flag}: the tensor name must be non-empty`);
      if (model.outputs.some((o) => o.name === step.tensor || o.name === name)) {
        throw new ModelEditError(`${flag}: ${name} is already a graph output`);
      }
      // A graph input renamed by an edit is asked for by its new name; every other tensor has its file name.
      const source = model.inputs.find((i) => i.name === step.tensor)?.source ?? step.tensor;
      model.outputs.push({ source, name, editedAxes: [], added: true });
      return;
    }
    case 'removeOutput': {
      const at = model.outputs.findIndex((o) => o.name === step.output);
      if (at < 0) throw new ModelEditError(`--remove-output ${step.output}: ${step.output} is not a graph output`);
      if (model.outputs.length === 1) throw new ModelEditError(`--remove-output ${step.output}: the edited graph would have no outputs`);
      const [t] = model.outputs.splice(at, 1);
      if (!t.added) model.removedOutputs.push(t.source);
      return;
    }
    case 'extract': {
      if (step.outputs.length === 0) throw new ModelEditError('--extract: name at least one output tensor');
      const pick = (names: string[], from: EditedTensor[]): EditedTensor[] =>
        names.map((n) => from.find((t) => t.name === n) ?? { source: n, name: n, editedAxes: [] });
      const inputs = pick(step.inputs, model.inputs);
      const outputs = pick(step.outputs, model.outputs).map((t) => ({ ...t, added: false }));
      const source = (list: EditedTensor[]) => list.map((t) => t.source);
      model.extract = { inputs: source(inputs), outputs: source(outputs) };
      model.inputs = inputs;
      model.outputs = outputs;
      model.removedOutputs = [];
      return;
    }
  }
}

function mark(base: EditBase, model: EditedModel): EditedModel {
  const markTensors = (list: EditedTensor[], from: EditBase['inputs']): void => {
    for (const t of list) {
      const b = from.find((e) => e.name === t.source);
      t.editedAxes = (t.shape ?? []).flatMap((d, axis) => (sameDim(d, b?.shape?.[axis]) ? [] : [axis]));
    }
  };
  markTensors(model.inputs, base.inputs);
  markTensors(model.outputs, base.outputs);
  for (const m of model.metadata) m.edited = base.metadata.find((b) => b.key === m.key)?.value !== m.value;
  model.docStringEdited = model.docString !== base.docString;
  model.modelVersionEdited = model.modelVersion !== base.modelVersion;
  return model;
}

/** The model after `steps`, each a ModelEditError when it does not fit the model as the steps before left it. */
export function applyEditSteps(base: EditBase, steps: readonly ModelEditStep[]): EditedModel {
  const tensors = (list: EditBase['inputs']): EditedTensor[] =>
    list.map((v) => ({ source: v.name, name: v.name, ...(v.shape ? { shape: [...v.shape] } : {}), editedAxes: [] }));
  const model: EditedModel = {
    inputs: tensors(base.inputs),
    outputs: tensors(base.outputs),
    metadata: base.metadata.map((e) => ({ ...e, edited: false })),
    removedMeta: [],
    docString: base.docString,
    docStringEdited: false,
    modelVersion: base.modelVersion,
    modelVersionEdited: false,
    nodes: [],
    removedOutputs: [],
  };
  for (const step of steps) applyStep(base, model, step);
  return mark(base, model);
}

/** The edits `editModelFile` (and `mlw edit`) takes for the model the steps leave, in the file's names. */
export function toModelEdits(edited: EditedModel): ModelEdits {
  const edits: ModelEdits = {};
  if (edited.extract) edits.extract = { inputs: [...edited.extract.inputs], outputs: [...edited.extract.outputs] };
  if (edited.removedOutputs.length) edits.removeOutputs = [...edited.removedOutputs];
  const addOutputs = edited.outputs.filter((t) => t.added).map((t) => t.source);
  if (addOutputs.length) edits.addOutputs = addOutputs;
  const renames = (list: { source: string; name: string }[]) =>
    list.filter((t) => t.name !== t.source).map((t) => ({ from: t.source, to: t.name }));
  const renameInputs = renames(edited.inputs);
  const renameOutputs = renames(edited.outputs);
  if (renameInputs.length) edits.renameInputs = renameInputs;
  if (renameOutputs.length) edits.renameOutputs = renameOutputs;
  const renameNodes = renames(edited.nodes);
  if (renameNodes.length) edits.renameNodes = renameNodes;
  const setDims: NonNullable<ModelEdits['setDims']> = [];
  for (const t of [...edited.inputs, ...edited.outputs]) {
    for (const axis of t.editedAxes) {
      const value = t.shape?.[axis];
      if (value === null || value === undefined) {
        throw new ModelEditError(`--set-dim ${t.name}:${axis}=?: a dimension cannot be made unknown again; set a size or a name instead`);
      }
      setDims.push({ tensor: t.source, axis, value });
    }
  }
  if (setDims.length) edits.setDims = setDims;
  const setMeta = edited.metadata.filter((m) => m.edited).map((m) => ({ key: m.key, value: m.value }));
  if (setMeta.length) edits.setMeta = setMeta;
  if (edited.removedMeta.length) edits.removeMeta = [...edited.removedMeta];
  if (edited.docStringEdited) edits.docString = edited.docString;
  if (edited.modelVersionEdited) edits.modelVersion = edited.modelVersion;
  return edits;
}

/** The step that takes `step` back, given the model just before it. */
export function inverseEditStep(before: EditedModel, step: ModelEditStep): ModelEditStep {
  switch (step.kind) {
    case 'renameInput':
    case 'renameOutput':
      return { kind: step.kind, from: step.to, to: step.from };
    case 'setDim': {
      const t = before.inputs.find((e) => e.name === step.tensor) ?? before.outputs.find((e) => e.name === step.tensor);
      return { kind: 'setDim', tensor: step.tensor, axis: step.axis, value: t?.shape?.[step.axis] ?? null };
    }
    case 'setMeta': {
      const old = before.metadata.find((m) => m.key === step.key);
      return old ? { kind: 'setMeta', key: step.key, value: old.value } : { kind: 'removeMeta', key: step.key };
    }
    case 'removeMeta':
      return { kind: 'setMeta', key: step.key, value: before.metadata.find((m) => m.key === step.key)?.value ?? '' };
    case 'setDocString':
      return { kind: 'setDocString', value: before.docString };
    case 'setModelVersion':
      return { kind: 'setModelVersion', value: before.modelVersion };
    case 'renameNode':
      return { kind: 'renameNode', from: step.to, to: step.from };
    case 'addOutput':
      return { kind: 'removeOutput', output: step.name ?? step.tensor };
    case 'removeOutput': {
      const t = before.outputs.find((o) => o.name === step.output);
      return { kind: 'addOutput', tensor: t?.source ?? step.output, ...(t && t.name !== t.source ? { name: t.name } : {}) };
    }
    case 'extract':
      // Exact while the extraction is pending (undo drops the step); once saved, the file holds only the subgraph.
      return { kind: 'extract', inputs: before.inputs.map((t) => t.name), outputs: before.outputs.map((t) => t.name) };
  }
}

/** The base a saved file now holds: what the steps left, as if read back from it. */
export function savedBase(edited: EditedModel): EditBase {
  const io = (t: EditedTensor) => ({ name: t.name, ...(t.shape ? { shape: [...t.shape] } : {}) });
  return {
    inputs: edited.inputs.map(io),
    outputs: edited.outputs.map(io),
    metadata: edited.metadata.map((m) => ({ key: m.key, value: m.value })),
    docString: edited.docString,
    modelVersion: edited.modelVersion,
  };
}
