/**
 * Save and Save As of the inspector's edits, through core's editModelFile (structure read lazily, weights
 * copied by byte range, external data as the core handles it). Save writes a temporary file beside the model
 * (so external data is referenced where it is) and renames it over the model only once complete. No `vscode`
 * import: unit tested in plain Node.
 */
import { chmod, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { editModelFile, isModelEditError, type EditResult, type ModelEdits } from '../../../core/onnx/edit';

export async function saveModelEdits(source: string, target: string, edits: ModelEdits, signal?: AbortSignal): Promise<EditResult> {
  const from = resolve(source);
  const to = resolve(target);
  if (from !== to) return editModelFile(from, to, edits, { signal });
  const temp = join(dirname(from), `.${basename(from)}.${process.pid}-${Date.now()}.mlw-save`);
  try {
    const result = await editModelFile(from, temp, edits, { signal });
    await chmod(temp, (await stat(from)).mode & 0o7777).catch(() => undefined);
    await rename(temp, from);
    return { ...result, output: from };
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

const FLAGS: Record<string, string> = {
  'rename-input': 'Rename input',
  'rename-output': 'Rename output',
  'set-dim': 'Set dimension',
  'set-meta': 'Set metadata',
  'remove-meta': 'Remove metadata',
  'model-version': 'Model version',
  'rename-node': 'Rename node',
  'add-output': 'Add output',
  'remove-output': 'Remove output',
  extract: 'Extract subgraph',
};

/** An edit refused by core, in the inspector's words: the CLI flag it names becomes the action. */
export function describeEditError(message: string): string {
  const m = /^--([a-z-]+)(?: (\S*))?: (.*)$/s.exec(message);
  if (!m || !(m[1] in FLAGS)) return message;
  return `${FLAGS[m[1]]}${m[2] ? ` ${m[2].replace('=', ' → ')}` : ''}: ${m[3]}`;
}

/** One line for a failed save, with the way out; the edits are kept. */
export function saveErrorMessage(error: unknown, target: string): string {
  if (isModelEditError(error))
    return `Not saved: ${describeEditError(error.message)}. Change that edit or undo it (Ctrl+Z), then save again.`;
  const e = error as NodeJS.ErrnoException;
  const folder = dirname(resolve(target));
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `Not saved: cannot write in ${folder} (${e.code}). Use Save As… to write the edited model to another folder; the edits are kept.`;
    case 'ENOSPC':
      return `Not saved: no space left on the disk of ${folder}. Free some space or use Save As… elsewhere; the edits are kept.`;
    case 'ENOENT':
      return `Not saved: ${typeof e.path === 'string' ? e.path : target} does not exist any more. Use Save As… to write the edited model; the edits are kept.`;
    default:
      return `Not saved: ${e.message ?? String(error)}. The edits are kept: try again or use Save As….`;
  }
}
