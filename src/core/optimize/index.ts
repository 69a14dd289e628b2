/** Model optimisation: recipes, their chaining and checking, and the before/after report. Re-exports only. */
export type { OptimizationRecipe, RecipeCheck, RecipeOptions } from './recipe';
export { BUILT_RECIPES, PLANNED_RECIPES, LAYOUT_LEVEL_REASON, RecipeError, parseRecipes } from './recipeCatalog';
export { ortOptimizeRecipe, needsOwnExternalData, type PortableOrtLevel } from './ortOptimizeRecipe';
export { setMetadataProps, encodeMetadataEntry } from './setMetadataProps';
export {
  optimizeModel,
  variantPaths,
  OptimizeError,
  PARENT_SHA256_KEY,
  RECIPE_KEY,
  RSS_METHOD,
  type OptimizeOptions,
  type OptimizePhase,
} from './optimizeModel';
export type { OptimizationReport, ModelFigures, VariantFigures, OperatorChange } from './optimizationReport';
export type { Agreement, OutputAgreement } from './outputAgreement';
export type { ClassificationMetrics } from './classificationMetrics';
export { classificationMetrics } from './classificationMetrics';
export { verdictLine } from './verdictLine';
