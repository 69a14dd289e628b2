import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ModelSummary, ValueSummary } from '../../../core/onnx';
import { normalizationFromMetadata, type ImagePreset } from '../../../core/media/imageNormalization';
import { inputAccepts, sampleRateFor, type InputFileKind } from '../../../core/ort/inputAccepts';

/** What Try runs on, as mlw try flags: `--input NAME=FILE` per file, and the image/audio/CSV options asked. */
export interface PickedInputs {
  /** NAME=FILE specs (or plain .json files, which name their inputs). */
  inputs: string[];
  /** Inputs left to random values (their free dims and scalars are asked next). */
  random: string[];
  flags: string[];
}

type Choice = InputFileKind | 'values' | 'random';

function typeText(input: ValueSummary): string {
  return `${input.elemTypeName ?? input.type}[${(input.shape ?? []).map((d) => d ?? '?').join(',')}]`;
}

async function pickKind(input: ValueSummary, title: string): Promise<Choice | undefined> {
  const items: (vscode.QuickPickItem & { id: Choice })[] = [];
  if (inputAccepts(input, 'image'))
    items.push({ label: '$(file-media) An image…', description: 'PNG or JPEG, resized and normalised', id: 'image' });
  if (inputAccepts(input, 'audio'))
    items.push({ label: '$(unmute) A WAV file…', description: 'mono float32 at the model’s rate', id: 'audio' });
  if (inputAccepts(input, 'csv')) items.push({ label: '$(table) A CSV row…', description: 'numeric columns of one row', id: 'csv' });
  items.push(
    { label: '$(file) Values from .json or .npy files…', id: 'values' },
    { label: '$(symbol-numeric) Random inputs', id: 'random' },
  );
  const choice = await vscode.window.showQuickPick(items, { title, placeHolder: `Input '${input.name}': ${typeText(input)}` });
  return choice?.id;
}

async function pickFile(model: vscode.Uri, label: string, filters: Record<string, string[]>, many = false): Promise<string[] | undefined> {
  const files = await vscode.window.showOpenDialog({
    canSelectMany: many,
    defaultUri: vscode.Uri.joinPath(model, '..'),
    openLabel: label,
    filters,
  });
  return files?.length ? files.map((f) => f.fsPath) : undefined;
}

async function pickPreset(summary: ModelSummary, title: string): Promise<string[] | undefined> {
  const meta = normalizationFromMetadata(summary.metadataProps);
  const presets: { label: string; preset?: ImagePreset; bgr: boolean; description?: string }[] = [];
  if (meta) presets.push({ label: "From the model's metadata", description: meta.source, bgr: meta.bgr });
  const described: Record<ImagePreset, string> = {
    imagenet: 'mean 0.485,0.456,0.406, std 0.229,0.224,0.225 on 0–1',
    '0-1': 'pixels / 255',
    '-1-1': 'pixels / 127.5 − 1',
    '0-255': 'pixels as they are',
  };
  for (const bgr of [false, true])
    for (const preset of Object.keys(described) as ImagePreset[])
      presets.push({ label: `${preset}${bgr ? ', BGR' : ''}`, preset, bgr, description: described[preset] });
  const choice = await vscode.window.showQuickPick(presets, { title, placeHolder: 'How the pixels are normalised' });
  if (!choice) return undefined;
  // The metadata's choice needs no flags (mlw try reads the metadata itself); a preset states its order too.
  return choice.preset ? ['--preset', choice.preset, '--order', choice.bgr ? 'bgr' : 'rgb'] : [];
}

async function askNumber(
  title: string,
  prompt: string,
  value: string,
  check: (n: number) => boolean,
  error: string,
): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (t) => (/^\d+$/.test(t.trim()) && check(Number(t)) ? undefined : error),
  });
}

/**
 * Asks, for each input of the model (one quick pick per input), what to feed it: an image, a WAV file, a CSV row,
 * .json/.npy values or random values, then the file and its options (preset, sample rate, row), each asked once.
 * Undefined when dismissed.
 */
export async function pickTryInputs(model: vscode.Uri, summary: ModelSummary): Promise<PickedInputs | undefined> {
  const title = `Try ${path.basename(model.fsPath)}: inputs`;
  const picked: PickedInputs = { inputs: [], random: [], flags: [] };
  const asked = new Set<string>();
  const fed = new Set<string>();
  for (const input of summary.inputs) {
    if (fed.has(input.name)) continue;
    const kind = await pickKind(input, summary.inputs.length > 1 ? `${title} (${input.name})` : title);
    if (kind === undefined) return undefined;
    if (kind === 'random') {
      picked.random.push(input.name);
      continue;
    }
    if (kind === 'values' || kind === 'json' || kind === 'npy') {
      const files = await pickFile(model, 'Use values', { 'Input values': ['json', 'npy'] }, true);
      if (!files) return undefined;
      // A .npy feeds this input; a .json names its inputs itself (it may feed several).
      for (const f of files) picked.inputs.push(f.toLowerCase().endsWith('.npy') ? `${input.name}=${f}` : f);
      if (files.some((f) => f.toLowerCase().endsWith('.json'))) for (const other of summary.inputs) fed.add(other.name);
      continue;
    }
    const filters: Record<string, string[]> =
      kind === 'image'
        ? { Images: ['png', 'jpg', 'jpeg'] }
        : kind === 'audio'
          ? { 'WAV audio': ['wav'] }
          : { 'CSV tables': ['csv', 'tsv'] };
    const file = await pickFile(model, kind === 'image' ? 'Use image' : kind === 'audio' ? 'Use audio' : 'Use table', filters);
    if (!file) return undefined;
    picked.inputs.push(`${input.name}=${file[0]}`);
    if (asked.has(kind)) continue;
    asked.add(kind);
    if (kind === 'image') {
      const flags = await pickPreset(summary, title);
      if (!flags) return undefined;
      picked.flags.push(...flags);
    } else if (kind === 'audio') {
      const { rate, source } = sampleRateFor(summary);
      const why =
        source === 'default'
          ? 'no rate in the model; 16000 is the common one'
          : `from the model's ${source.replace('metadata ', 'metadata key ')}`;
      const text = await askNumber(title, `Sample rate the model wants, in Hz (${why})`, String(rate), (n) => n > 0, 'Enter a rate in Hz.');
      if (text === undefined) return undefined;
      picked.flags.push('--rate', text.trim());
    } else {
      const text = await askNumber(
        title,
        'Data row to use (1 = the first row after the header)',
        '1',
        (n) => n >= 1,
        'Enter a row number (1 or more).',
      );
      if (text === undefined) return undefined;
      picked.flags.push('--row', text.trim());
    }
  }
  return picked;
}
