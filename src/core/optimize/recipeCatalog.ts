/**
 * The recipes `mlw optimize --recipe` and ML: Optimize Model… know: those built, those planned (refused with
 * "not available yet" rather than faked), and ONNX Runtime's non-portable levels (refused with the reason).
 */
import { fp16Recipe } from './fp16Recipe';
import { int8DynamicRecipe } from './int8DynamicRecipe';
import { int8StaticRecipe } from './int8StaticRecipe';
import { ortOptimizeRecipe } from './ortOptimizeRecipe';
import type { OptimizationRecipe } from './recipe';
import { simplifyRecipe } from './simplify/simplifyRecipe';
import { weightOnlyRecipe } from './weightOnlyRecipe';

export const BUILT_RECIPES: readonly OptimizationRecipe[] = [
  simplifyRecipe,
  ortOptimizeRecipe('basic'),
  ortOptimizeRecipe('extended'),
  fp16Recipe(),
  int8DynamicRecipe(),
  int8StaticRecipe,
  weightOnlyRecipe(4),
  weightOnlyRecipe(8),
];

/** Planned recipes, in the order they are listed. */
export const PLANNED_RECIPES: readonly { name: string; description: string }[] = [];

/** Why ORT's `all` level is not offered: one line, used in --help and in the refusal. */
export const LAYOUT_LEVEL_REASON =
  "ONNX Runtime's 'all' level (layout optimisation) is not offered: it rewrites convolutions into the NCHWc layout " +
  "blocked for this CPU's vector width (8 floats with AVX2, 16 with AVX-512), so the saved file is tied to this CPU's " +
  'layout and may run slower or not at all elsewhere; ORT applies it itself when a session loads the ort-extended file';

/** Names that ask for the layout level. */
const LAYOUT_NAMES = new Set(['all', 'layout', 'ort-all', 'ort-layout']);

export class RecipeError extends Error {
  override name = 'RecipeError';
}

/** The recipes of `R1[,R2…]` in order; throws RecipeError with one line for an unknown, planned or refused name. */
export function parseRecipes(list: string): OptimizationRecipe[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new RecipeError(`no recipe given (built: ${BUILT_RECIPES.map((r) => r.name).join(', ')})`);
  return names.map((name) => {
    const built = BUILT_RECIPES.find((r) => r.name === name);
    if (built) return built;
    if (LAYOUT_NAMES.has(name)) throw new RecipeError(`recipe '${name}' is refused: ${LAYOUT_LEVEL_REASON}`);
    if (PLANNED_RECIPES.some((r) => r.name === name))
      throw new RecipeError(`recipe '${name}' is not available yet (available: ${BUILT_RECIPES.map((r) => r.name).join(', ')})`);
    throw new RecipeError(
      `unknown recipe '${name}' (available: ${BUILT_RECIPES.map((r) => r.name).join(', ')}; planned: ${PLANNED_RECIPES.map((r) => r.name).join(', ')})`,
    );
  });
}
