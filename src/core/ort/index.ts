/** Running ONNX models with onnxruntime-node: re-exports only. */
export { createSession, sessionOptionsFor, causeText, OrtSessionError, QUIET_RUN_OPTIONS, GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel, type SessionOptions } from './createSession';
export { ortTypeOf, allocate, tensorFromData, type OrtType } from './ortTypes';
export { parseNpy, readNpy, type NpyArray } from './readNpy';
export { seededRandom } from '../random/seededRandom';
export { makeInputs, planInputs, randomTensor, loadFeeds, castValues, flattenNested, type Feeds, type InputOptions, type InputPlan } from './makeInputs';
export { latencyStats, percentile, type LatencyStats } from './latencyStats';
export { benchmarkModel, sha256File, type BenchmarkOptions, type BenchmarkProgress, type BenchmarkConfig, type BenchmarkResult } from './benchmarkModel';
export { tryModel, summarizeOutput, topKOfRow, type TryModelOptions, type TryModelResult, type OutputSummary, type TopKEntry } from './tryModel';
export { compareBenchmarks, COMPARED_FIGURES, type BenchmarkComparison, type ComparedFigure, type FigureDelta } from './compareBenchmarks';
export { compareTensors, DEFAULT_TOLERANCE, type Tolerance, type TensorComparison, type TensorMismatch, type ActualTensor } from './compareTensors';
export { runTestDataSet, type TestDataOptions, type TestDataResult, type TestDataStatus } from './runTestDataSet';
