import * as vscode from 'vscode';
import { copyFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatTryResult } from '../../../core/ort/formatTryResult';
import type { TryModelResult } from '../../../core/ort/tryModel';

/**
 * Shows a Try result. With images (image-like outputs saved as PNG, or image inputs), as a Markdown preview in the
 * run's folder: the text, then each input image and output image, shown by VS Code's Markdown preview under its
 * own strict content security policy (local images from the document's folder, no scripts of ours). Otherwise as a
 * plain-text document, as before.
 */
export async function showTryResult(result: TryModelResult, folder: string): Promise<void> {
  const text = formatTryResult(result);
  const outputs = (result.saved ?? []).filter((s) => s.png);
  const imageInputs = (result.sources ?? []).filter((s) => s.kind === 'image');
  if (outputs.length === 0 && imageInputs.length === 0) {
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
    return;
  }
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const lines = [`# Try ${path.basename(result.model)}`, '', `${fence}text`, text, fence, ''];
  let n = 0;
  for (const s of imageInputs) {
    // The preview shows local images from the document's folder: copy each input image next to it.
    const copy = `input-${++n}${path.extname(s.file).toLowerCase()}`;
    await copyFile(s.file, path.join(folder, copy));
    lines.push(`## Input \`${s.input}\``, '', `${path.basename(s.file)}: ${s.detail}`, '', `![${s.input}](${encodeURI(copy)})`, '');
  }
  for (const s of outputs) {
    const name = path.basename(s.png!);
    lines.push(`## Output \`${s.output}\``, '', `${s.scaling}; first item of the batch`, '', `![${s.output}](${encodeURI(name)})`, '');
  }
  const md = path.join(folder, 'try-result.md');
  await writeFile(md, lines.join('\n'));
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(md));
}
