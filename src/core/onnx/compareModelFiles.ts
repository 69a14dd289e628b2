/** Compares two model files: structure from their summaries, and every weight's values (streamed). */
import { compareModels, type ModelComparison } from './compareModels';
import { compareWeights, type CompareWeightsOptions } from './compareWeights';
import { readModelWithStats } from './readModel';
import { summarizeOnnxModel } from './summarizeModel';

export async function compareModelFiles(pathA: string, pathB: string, options: CompareWeightsOptions = {}): Promise<ModelComparison> {
  const [a, b] = await Promise.all([
    readModelWithStats(pathA, { signal: options.signal }),
    readModelWithStats(pathB, { signal: options.signal }),
  ]);
  const [sa, sb] = await Promise.all([
    summarizeOnnxModel(a.model, { bytesRead: a.bytesRead }),
    summarizeOnnxModel(b.model, { bytesRead: b.bytesRead }),
  ]);
  return compareModels(sa, sb, await compareWeights(a.model, b.model, options));
}
