/**
 * The pending edits of one open model: steps on top of the file as last read or saved (the base). An edit
 * returns an entry whose undo and redo the editor's history calls in order; an entry saved since is undone by
 * its inverse step, so the list always says what Save would write over the file. The backup is the steps as
 * JSON. Pure: the inspector's custom document wraps it.
 */
import { applyEditSteps, inverseEditStep, savedBase, toModelEdits, type EditBase, type EditedModel, type ModelEditStep } from './editSteps';
import type { ModelEdits } from './modelEdits';

export interface EditEntry {
  readonly step: ModelEditStep;
  readonly inverse: ModelEditStep;
}

export interface EditBackup {
  version: 1;
  steps: ModelEditStep[];
}

export class ModelEditList {
  private pending: ModelEditStep[] = [];

  constructor(private base: EditBase) {}

  get steps(): readonly ModelEditStep[] {
    return this.pending;
  }

  get dirty(): boolean {
    return this.pending.length > 0;
  }

  /** The model as the pending steps leave it; a ModelEditError when they no longer fit the base. */
  edited(): EditedModel {
    return applyEditSteps(this.base, this.pending);
  }

  /** What Save writes, in the file's names. */
  modelEdits(): ModelEdits {
    return toModelEdits(this.edited());
  }

  /** The edits with one more step, to check before making it; throws as `edit` would. */
  modelEditsWith(step: ModelEditStep): ModelEdits {
    return toModelEdits(applyEditSteps(this.base, [...this.pending, step]));
  }

  /** Makes a step (a ModelEditError when it does not fit, and nothing changes). */
  edit(step: ModelEditStep): EditEntry {
    const before = this.edited();
    applyEditSteps(this.base, [...this.pending, step]);
    const entry: EditEntry = { step, inverse: inverseEditStep(before, step) };
    this.pending.push(step);
    return entry;
  }

  undo(entry: EditEntry): void {
    if (this.pending.at(-1) === entry.step) this.pending.pop();
    else this.pending.push(entry.inverse);
  }

  redo(entry: EditEntry): void {
    if (this.pending.at(-1) === entry.inverse) this.pending.pop();
    else this.pending.push(entry.step);
  }

  /** The file now holds the pending steps: they become the base. */
  saved(): void {
    this.base = savedBase(this.edited());
    this.pending = [];
  }

  /** Drops the pending steps (Revert), optionally over a base read again from the file. */
  revert(base?: EditBase): void {
    if (base) this.base = base;
    this.pending = [];
  }

  /** The file was read again (after a save, or a change on disk): the pending steps stay on the new base. */
  rebase(base: EditBase): void {
    this.base = base;
  }

  backup(): EditBackup {
    return { version: 1, steps: this.pending.map((s) => ({ ...s })) };
  }

  restore(backup: EditBackup): void {
    this.pending = backup.steps.map((s) => ({ ...s }));
  }
}
