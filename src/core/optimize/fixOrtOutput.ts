/**
 * Keeps what ONNX Runtime saves valid ONNX where it can do so without changing what the model means.
 *
 * IR version: in IR 3 every initializer must also be a graph input. ORT's constant folding adds initializers that
 * are not (a folded Transpose of a weight, say) and keeps the IR version, which onnx.checker rejects ("in
 * initializer but not in graph input"). IR 4 differs from IR 3 only in allowing that, so such a file is raised
 * to IR 4.
 *
 * Opset: ONNX Runtime's extended level fuses layer norms into a LayerNormalization node in the default ONNX domain even
 * when the model imports an opset below 17, where ONNX has no such op (ORT runs its own kernel; onnx.checker
 * rejects the file: "No Op registered for LayerNormalization with domain_version of 14"). When the model's
 * default-domain opset is 13 to 16, raising it to 17 makes the file valid ONNX without changing what any node
 * means: from opset 13 through 17 the only change of an existing op's default behaviour is RoiAlign-16's
 * coordinate_transformation_mode, so a graph with RoiAlign is left as ORT wrote it. Below 13 (Split, Squeeze,
 * Unsqueeze and the reductions changed) it is left too. The opset_import entry is replaced by a top-level edit.
 */
import type { ModelSummary } from '../onnx/modelSummary';
import { readModel } from '../onnx/readModel';
import { summarizeOnnxModel } from '../onnx/summarizeModel';
import { editTopLevelFields, lengthDelimited, messageFields, varint } from './editTopLevelFields';

const IR_VERSION = 1;
const OPSET_IMPORT = 8;
const LAYER_NORM_OPSET = 17;

/** The opset the file should import instead of its own, or undefined when it is fine or cannot be raised safely. */
export function opsetToRaiseTo(summary: Pick<ModelSummary, 'operators' | 'opsetImports'>): number | undefined {
  const onnx = summary.opsetImports.find((o) => o.domain === 'ai.onnx');
  const uses = (op: string) => summary.operators.some((o) => o.domain === 'ai.onnx' && o.opType === op);
  if (!onnx || onnx.version >= LAYER_NORM_OPSET || onnx.version < 13) return undefined;
  if (!uses('LayerNormalization') || uses('RoiAlign')) return undefined;
  return LAYER_NORM_OPSET;
}

/** Replaces the default-domain opset import of the file with `version`. */
export async function setDefaultOpset(path: string, version: number): Promise<void> {
  const entry = Uint8Array.from(varint(2 * 8).concat(varint(version))); // OperatorSetId { version }; domain '' omitted
  await editTopLevelFields(path, {
    drop: async (field, payload) => {
      if (field !== OPSET_IMPORT || !payload) return false;
      const domain = messageFields(await payload()).find((f) => f.field === 1)?.value;
      const name = domain instanceof Uint8Array ? Buffer.from(domain).toString('utf8') : '';
      return name === '' || name === 'ai.onnx';
    },
    append: lengthDelimited(OPSET_IMPORT, entry),
  });
}

/** Replaces the IR version of the file. */
export async function setIrVersion(path: string, version: number): Promise<void> {
  await editTopLevelFields(path, {
    drop: (field) => field === IR_VERSION,
    append: Uint8Array.from(varint(IR_VERSION * 8).concat(varint(version))),
  });
}

/** Applies the two repairs above to a file ORT saved, where they apply; says what it changed. */
export async function fixOrtOutput(path: string): Promise<string[]> {
  const model = await readModel(path);
  const changes: string[] = [];
  const inputs = new Set(model.graph.inputs.map((v) => v.name));
  if (model.irVersion < 4 && model.graph.initializers.some((t) => !inputs.has(t.name))) {
    await setIrVersion(path, 4);
    changes.push(`IR version ${model.irVersion} -> 4`);
  }
  const opset = opsetToRaiseTo(await summarizeOnnxModel(model));
  if (opset !== undefined) {
    await setDefaultOpset(path, opset);
    changes.push(`opset -> ${opset}`);
  }
  return changes;
}
