/**
 * What a .pt/.pth file most likely holds, read without executing anything (the zip directory and, for torch.save
 * archives, the pickle through the weights reader): a TorchScript archive, a whole pickled module (its pickle names
 * classes besides torch's tensor rebuilders), or a state dict. Only a default for the question; the user decides.
 */
import { open } from 'node:fs/promises';
import { looksLikeZip, readZipDirectory } from '../weights/zipArchive';
import { readTorchCheckpoint } from '../weights/torchCheckpoint';
import type { ExportKind } from './exportParams';

export interface ExportKindGuess {
  kind: ExportKind;
  /** Classes the pickle names (a whole module's, e.g. `models.net.Net`); empty for a state dict. */
  classes: string[];
}

export async function suggestExportKind(file: string): Promise<ExportKindGuess | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const head = new Uint8Array(4);
      await handle.read(head, 0, 4, 0);
      if (!looksLikeZip(head)) return undefined;
      const entries = await readZipDirectory(handle, size);
      if (entries.some((e) => /(^|\/)constants\.pkl$/.test(e.name) || /^[^/]+\/code\//.test(e.name)))
        return { kind: 'torchscript', classes: [] };
    } finally {
      await handle.close();
    }
    const summary = await readTorchCheckpoint(file);
    const classes = summary.globals.filter((g) => !/^(torch|collections|builtins|_codecs|numpy)\./.test(g));
    return classes.length ? { kind: 'module', classes } : { kind: 'state-dict', classes: [] };
  } catch {
    return undefined;
  }
}
