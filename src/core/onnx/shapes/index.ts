/** Shape inference's public surface: re-exports only. */
export type * from './shapeTypes';
export { inferShapes } from './inferShapes';
export { inferModelShapes } from './inferModelShapes';
export { loadShapeConstants, shapeConstantRefs, MAX_CONSTANT_ELEMENTS } from './loadShapeConstants';
export { broadcastShapes } from './broadcastShapes';
export { ShapeError } from './ShapeError';
