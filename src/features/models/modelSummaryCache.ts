import * as vscode from 'vscode';
import { summarizeModel, type ModelSummary } from '../../core/onnx';

interface Entry {
  mtime: number;
  size: number;
  summary: Promise<ModelSummary>;
}

/** Summaries of ONNX files, kept per URI and reused while the file's mtime and size are unchanged. */
export class ModelSummaryCache {
  private readonly entries = new Map<string, Entry>();

  async get(uri: vscode.Uri): Promise<ModelSummary> {
    const stat = await vscode.workspace.fs.stat(uri);
    const key = uri.toString();
    const hit = this.entries.get(key);
    if (hit && hit.mtime === stat.mtime && hit.size === stat.size) return hit.summary;
    const summary = summarizeModel(uri.fsPath);
    this.entries.set(key, { mtime: stat.mtime, size: stat.size, summary });
    // A failed read is not kept: the next call retries (the file may be half written).
    summary.catch(() => {
      if (this.entries.get(key)?.summary === summary) this.entries.delete(key);
    });
    if (this.entries.size > 200) this.entries.delete(this.entries.keys().next().value as string);
    return summary;
  }

  clear(): void {
    this.entries.clear();
  }
}
