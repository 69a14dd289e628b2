/** The metadata props that make an ONNX file a variant: its parent's sha256 and the recipe that made it. */
export const PARENT_SHA256_KEY = 'mlw.optimize.parent_sha256';
export const RECIPE_KEY = 'mlw.optimize.recipe';
