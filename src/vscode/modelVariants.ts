import * as vscode from 'vscode';
import * as path from 'node:path';
import { readLineage, type LineageRecord } from '../core/deploy/lineage';
import { formatBytes } from '../core/format/formatBytes';
import { descendantsOf, ModelVariantIndex, type FileStamp, type VariantGrouping, type VariantInfo } from '../core/models/modelVariants';
import { setting } from './config';
import { findWorkspaceFiles } from './findWorkspaceFiles';

/**
 * Optimised variants of the workspace's ONNX models, for every feature that shows or picks them: the Models view
 * groups them under their original, and Benchmark, Try, Serve and Containerize offer them through
 * `pickModelVariant`. One index for the window, so a file's metadata and hash are read once per mtime.
 */
const index = new ModelVariantIndex();

const isOnnx = (p: string): boolean => p.toLowerCase().endsWith('.onnx');

/** A variant as the user sees it: its recipe, and the verdict and size the lineage recorded when it was made. */
export interface VariantView extends VariantInfo {
  path: string;
  parentPath?: string;
  verdict?: string;
}

export async function stampOf(uri: vscode.Uri): Promise<FileStamp | undefined> {
  const s = await vscode.workspace.fs.stat(uri).then(
    (x) => x,
    () => undefined,
  );
  return s && s.type & vscode.FileType.File ? { path: uri.fsPath, mtimeMs: s.mtime, size: s.size } : undefined;
}

/** The workspace's ONNX files (the Models view's glob), stamped. */
export async function workspaceOnnxStamps(): Promise<FileStamp[]> {
  const uris = (await findWorkspaceFiles(setting('modelGlob'), 10_000)).filter((u) => u.scheme === 'file' && isOnnx(u.fsPath));
  return (await Promise.all(uris.map(stampOf))).filter((s): s is FileStamp => s !== undefined);
}

/** Groups `files` into originals and variants (hashing only when some file is a variant). */
export function groupVariants(files: readonly FileStamp[]): Promise<VariantGrouping> {
  return index.group(files.filter((f) => isOnnx(f.path)));
}

/** The variant metadata of one file, cached by mtime. */
export async function variantInfo(uri: vscode.Uri): Promise<VariantInfo | undefined> {
  if (uri.scheme !== 'file' || !isOnnx(uri.fsPath)) return undefined;
  const stamp = await stampOf(uri);
  return stamp ? index.variantInfo(stamp) : undefined;
}

/** Variant records of every workspace folder's lineage, by variant path (the latest wins). */
export async function variantRecords(): Promise<Map<string, LineageRecord>> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const all = await Promise.all(folders.map((f) => readLineage(f.uri.fsPath).catch(() => [] as LineageRecord[])));
  const out = new Map<string, LineageRecord>();
  for (const r of all.flat()) if (r.kind === 'variant') out.set(r.modelPath, r);
  return out;
}

/** What the Models view and the pickers say of a variant. */
export function variantView(grouping: VariantGrouping, records: ReadonlyMap<string, LineageRecord>, file: string): VariantView | undefined {
  const info = grouping.info.get(file);
  if (!info) return undefined;
  const record = records.get(file);
  const parentPath = grouping.parentOf.get(file);
  return {
    ...info,
    path: file,
    ...(parentPath ? { parentPath } : {}),
    ...(record?.verdict && record.parentHash === info.parentSha256 ? { verdict: record.verdict } : {}),
  };
}

/**
 * The model a command acts on, when it has variants: a quick pick of the original and each variant (with its recipe,
 * size and verdict). The pick is skipped, and `uri` returned, when the model has no variants or is itself a variant.
 */
export async function pickModelVariant(uri: vscode.Uri, what: string): Promise<vscode.Uri> {
  if (uri.scheme !== 'file' || !isOnnx(uri.fsPath)) return uri;
  if (await variantInfo(uri)) return uri;
  const files = await workspaceOnnxStamps();
  const self = files.find((f) => f.path === uri.fsPath) ?? (await stampOf(uri));
  if (!self) return uri;
  const all = files.some((f) => f.path === self.path) ? files : [...files, self];
  const grouping = await groupVariants(all);
  const variants = descendantsOf(grouping, self.path);
  if (variants.length === 0) return uri;
  const records = await variantRecords();
  const size = (p: string): string => formatBytes(all.find((f) => f.path === p)?.size ?? 0);
  type Item = vscode.QuickPickItem & { uri: vscode.Uri };
  const items: Item[] = [
    { label: `$(symbol-structure) ${path.basename(self.path)}`, description: `original · ${size(self.path)}`, uri },
    ...variants.map((v): Item => {
      const view = variantView(grouping, records, v);
      return {
        label: `$(layers) ${path.basename(v)}`,
        description: `${view?.recipe ?? 'variant'} · ${size(v)}`,
        ...(view?.verdict ? { detail: view.verdict } : {}),
        uri: vscode.Uri.file(v),
      };
    }),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `${what} ${path.basename(self.path)}: the original or a variant?`,
    placeHolder: `${variants.length} optimised variant${variants.length === 1 ? '' : 's'} of this model`,
    ignoreFocusOut: true,
  });
  if (!picked) throw new vscode.CancellationError();
  return picked.uri;
}

/** What Compare With… offers first: a variant's parent, else an original's first variant, else nothing. */
export async function counterpartOf(uri: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (uri.scheme !== 'file' || !isOnnx(uri.fsPath)) return undefined;
  const files = await workspaceOnnxStamps();
  if (!files.some((f) => f.path === uri.fsPath)) {
    const self = await stampOf(uri);
    if (self) files.push(self);
  }
  const grouping = await groupVariants(files);
  const other = grouping.parentOf.get(uri.fsPath) ?? grouping.childrenOf.get(uri.fsPath)?.[0];
  return other ? vscode.Uri.file(other) : undefined;
}
