/** Model editing's public surface: re-exports only. */
export { editModelFile, type EditModelOptions, type EditResult, type ExternalDataAction } from './editModelFile';
export { isModelEditError, ModelEditError, type DimEdit, type ModelEdits, type Rename } from './modelEdits';
export { parseExtractSpec } from './parseExtractSpec';
export { planModelEdit, type EditPlan, type IoEntry } from './planModelEdit';
export { rewriteModelFile, rewritePlan, type GraphRewrite, type RewriteBuilder } from './rewriteModelFile';
export { nodePiece, tensorFromArray, type NewAttribute, type NewNode, type NewTensor } from './newNodes';
