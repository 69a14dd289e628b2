import type * as vscode from 'vscode';

/** What the extension knows about an image it built: enough to run, push and deploy it later. */
export interface BuiltImage {
  image: string;
  imageId: string;
  modelName: string;
  modelPath: string;
  modelHash: string;
  runId?: string;
  containerPort: number;
  builtAt: number;
  /** Registry references it was pushed to, newest first, with their digests. */
  pushed?: { reference: string; digest: string; at: number }[];
}

const KEY = 'mlWorkbench.builtImages';
const MAX = 50;

/** The images built from this workspace, newest first, kept in workspaceState. */
export class BuiltImages {
  constructor(private readonly state: vscode.Memento) {}

  get all(): BuiltImage[] {
    const v = this.state.get<unknown>(KEY);
    return Array.isArray(v) ? v.filter(isBuiltImage) : [];
  }

  find(image: string): BuiltImage | undefined {
    return this.all.find((b) => b.image === image || b.imageId === image || b.pushed?.some((p) => p.reference === image));
  }

  async add(built: BuiltImage): Promise<void> {
    const rest = this.all.filter((b) => b.image !== built.image);
    await this.state.update(KEY, [built, ...rest].slice(0, MAX));
  }

  async recordPush(image: string, reference: string, digest: string): Promise<void> {
    const all = this.all.map((b) =>
      b.image === image
        ? { ...b, pushed: [{ reference, digest, at: Date.now() }, ...(b.pushed ?? []).filter((p) => p.reference !== reference)] }
        : b,
    );
    await this.state.update(KEY, all);
  }
}

function isBuiltImage(v: unknown): v is BuiltImage {
  const b = v as Partial<BuiltImage> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.image === 'string' &&
    typeof b.modelName === 'string' &&
    typeof b.containerPort === 'number'
  );
}
