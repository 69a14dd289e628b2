/** onnxruntime's graph optimisation levels; kept apart from createSession so importing them does not load the native runtime. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];
