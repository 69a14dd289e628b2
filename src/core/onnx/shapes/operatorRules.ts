/** The rule of every operator shape inference knows: by op type for ai.onnx, by `domain:opType` for other domains. */
import { controlFlowRules } from './controlFlowRules';
import { convPoolRules } from './convPoolRules';
import { elementwiseRules } from './elementwiseRules';
import { indexingRules } from './indexingRules';
import { matmulRules } from './matmulRules';
import { miscRules } from './miscRules';
import type { ShapeRule } from './nodeContext';
import { normRules } from './normRules';
import { recurrentRules } from './recurrentRules';
import { reduceRules } from './reduceRules';
import { reshapeRules } from './reshapeRules';
import { resizeRules } from './resizeRules';
import { sequenceRules } from './sequenceRules';
import { trainingRules } from './trainingRules';

export const operatorRules: ReadonlyMap<string, ShapeRule> = new Map(
  Object.entries({
    ...elementwiseRules,
    ...convPoolRules,
    ...matmulRules,
    ...reshapeRules,
    ...indexingRules,
    ...reduceRules,
    ...normRules,
    ...recurrentRules,
    ...resizeRules,
    ...miscRules,
    ...controlFlowRules,
    ...sequenceRules,
    ...trainingRules,
  }),
);
