import * as vscode from 'vscode';
import type { OnnxModel } from '../../../core/onnx';
import { isModelEditError, planModelEdit } from '../../../core/onnx/edit';
import { editBaseOf, type ModelEditStep } from '../../../core/onnx/edit/editSteps';
import { ModelEditList, type EditBackup } from '../../../core/onnx/edit/modelEditList';
import type { ModelSummary } from '../../../core/onnx/modelSummary';
import { inferModelShapes } from '../../../core/onnx/shapes/inferModelShapes';
import type { Dim } from '../../../core/onnx/shapes/shapeTypes';
import type { Logger } from '../../../core/logger';
import type { InspectorEdits } from '../../../shared/inspectorProtocol';
import { describeEditError, saveErrorMessage, saveModelEdits } from './saveModelEdits';

/** What shape inference tells of the tensors the file gives no type for (an added output, an extraction's ends). */
async function inferredTypes(model: OnnxModel): Promise<Map<string, { elemType: number | null; shape: Dim[] | null }>> {
  const result = await inferModelShapes(model);
  return new Map(result.tensors.map((t) => [t.name, { elemType: t.elemType, shape: t.shape }]));
}

const RESTRICTED = 'Editing is off in Restricted Mode: saving writes files. Trust this folder to edit the model.';

const label = (step: ModelEditStep): string => {
  switch (step.kind) {
    case 'renameInput':
      return `Rename input ${step.from}`;
    case 'renameOutput':
      return `Rename output ${step.from}`;
    case 'setDim':
      return `Set ${step.tensor} dimension ${step.axis}`;
    case 'setMeta':
      return `Set metadata ${step.key}`;
    case 'removeMeta':
      return `Remove metadata ${step.key}`;
    case 'setDocString':
      return 'Set doc string';
    case 'setModelVersion':
      return 'Set model version';
    case 'renameNode':
      return `Rename node ${step.from}`;
    case 'addOutput':
      return `Add output ${step.tensor}`;
    case 'removeOutput':
      return `Remove output ${step.output}`;
    case 'extract':
      return 'Extract subgraph';
  }
};

/** Parses a backup written by `backup`; undefined when it is not one. */
export function parseEditBackup(text: string): EditBackup | undefined {
  try {
    const raw = JSON.parse(text) as Partial<EditBackup>;
    return raw.version === 1 && Array.isArray(raw.steps) ? { version: 1, steps: raw.steps } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An open .onnx model with its pending edits. The inspectors of the document read the file and hand it the
 * model (`loaded`); the edit list sits on top of the file as last read. Each edit fires a custom-editor edit
 * event whose undo and redo VS Code calls; Save writes through core's editModelFile, never in memory.
 */
export class OnnxEditDocument implements vscode.CustomDocument {
  private list: ModelEditList | undefined;
  private model: OnnxModel | undefined;
  private error: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly edited = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<OnnxEditDocument>>();
  private readonly reread = new vscode.EventEmitter<void>();
  private readonly trust: vscode.Disposable;
  /** The edits changed (or trust, or the last error): every inspector of the document shows them again. */
  readonly onDidChangeEdits = this.changed.event;
  /** An edit was made: the provider passes it on to VS Code's history. */
  readonly onDidEdit = this.edited.event;
  /** The file should be read again (after Save or Revert). */
  readonly onDidRequestReload = this.reread.event;

  constructor(
    readonly uri: vscode.Uri,
    private readonly log: Logger,
    private restored?: EditBackup,
  ) {
    this.trust = vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire());
  }

  /** An inspector read the file: the pending edits now sit on this model (the first read restores a backup). */
  loaded(model: OnnxModel, summary: ModelSummary): void {
    const base = editBaseOf({
      inputs: summary.inputs,
      outputs: summary.outputs,
      metadata: summary.metadataProps,
      docString: summary.docString,
      modelVersion: summary.modelVersion,
    });
    this.model = model;
    if (this.list) this.list.rebase(base);
    else {
      this.list = new ModelEditList(base);
      if (this.restored) this.list.restore(this.restored);
      this.restored = undefined;
    }
    this.changed.fire();
  }

  get dirty(): boolean {
    return this.list?.dirty ?? (this.restored?.steps.length ?? 0) > 0;
  }

  /** What the inspectors show of the edits. */
  state(): InspectorEdits {
    const canEdit = vscode.workspace.isTrusted;
    const state: InspectorEdits = {
      canEdit,
      ...(canEdit ? {} : { reason: RESTRICTED }),
      pending: this.list?.steps.length ?? this.restored?.steps.length ?? 0,
      ...(this.error ? { error: this.error } : {}),
    };
    if (this.list) {
      try {
        state.edited = this.list.edited();
      } catch (e) {
        if (!isModelEditError(e)) throw e;
        state.error = `The edits no longer fit the file: ${describeEditError(e.message)}. Revert (or undo) to go on.`;
      }
    }
    return state;
  }

  /** Makes one edit, checked against the model as `mlw edit` would check it; a refused edit is the one-line error. */
  async edit(step: ModelEditStep): Promise<void> {
    const list = this.list;
    if (!vscode.workspace.isTrusted) return this.fail(RESTRICTED);
    if (!list) return this.fail('The model is still being read: try again in a moment.');
    try {
      const edits = list.modelEditsWith(step);
      const model = this.model;
      if (model) await planModelEdit(model, edits, () => inferredTypes(model));
    } catch (e) {
      if (!isModelEditError(e)) throw e;
      return this.fail(`${describeEditError(e.message)}.`);
    }
    const entry = list.edit(step);
    this.error = undefined;
    this.edited.fire({
      document: this,
      label: label(step),
      undo: () => {
        list.undo(entry);
        this.error = undefined;
        this.changed.fire();
      },
      redo: () => {
        list.redo(entry);
        this.error = undefined;
        this.changed.fire();
      },
    });
    this.changed.fire();
  }

  private fail(message: string): void {
    this.error = message;
    this.changed.fire();
  }

  async save(cancellation: vscode.CancellationToken): Promise<void> {
    if (!this.list?.dirty) return;
    await this.write(this.uri, cancellation);
    this.list.saved();
    // Until the file is read again, checks run on the new base only (the old model has the old names).
    this.model = undefined;
    this.changed.fire();
    this.reread.fire();
  }

  async saveAs(target: vscode.Uri, cancellation: vscode.CancellationToken): Promise<void> {
    await this.write(target, cancellation);
  }

  private async write(target: vscode.Uri, cancellation: vscode.CancellationToken): Promise<void> {
    if (!vscode.workspace.isTrusted) throw new Error(RESTRICTED);
    const controller = new AbortController();
    const sub = cancellation.onCancellationRequested(() => controller.abort());
    try {
      const edits = this.list?.modelEdits() ?? {};
      const result = await saveModelEdits(this.uri.fsPath, target.fsPath, edits, controller.signal);
      this.error = undefined;
      this.log.info(`ONNX inspector: saved ${result.output}: ${result.changes.join('; ') || 'no changes'}`);
    } catch (e) {
      if (controller.signal.aborted) throw e;
      const message = saveErrorMessage(e, target.fsPath);
      this.log.warn(`ONNX inspector: ${message} (${(e as Error).message})`);
      this.fail(message);
      throw new Error(message);
    } finally {
      sub.dispose();
    }
  }

  revert(): void {
    this.list?.revert();
    this.restored = undefined;
    this.error = undefined;
    this.changed.fire();
    this.reread.fire();
  }

  async backup(destination: vscode.Uri): Promise<vscode.CustomDocumentBackup> {
    const backup = this.list?.backup() ?? this.restored ?? { version: 1, steps: [] };
    await vscode.workspace.fs.writeFile(destination, new TextEncoder().encode(JSON.stringify(backup)));
    return {
      id: destination.toString(),
      delete: () => void vscode.workspace.fs.delete(destination).then(undefined, () => undefined),
    };
  }

  dispose(): void {
    this.trust.dispose();
    this.changed.dispose();
    this.edited.dispose();
    this.reread.dispose();
  }
}
