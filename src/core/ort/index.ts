/** The one ONNX Runtime layer (onnxruntime-node): re-exports only. */
export {
  createSession,
  sessionOptionsFor,
  causeText,
  OrtSessionError,
  QUIET_RUN_OPTIONS,
  GRAPH_OPTIMIZATION_LEVELS,
  type GraphOptimizationLevel,
  type SessionOptions,
  type CreatedSession,
} from './createSession';
export {
  EXECUTION_PROVIDERS,
  DEFAULT_EXECUTION_PROVIDERS,
  isExecutionProvider,
  parseExecutionProviders,
  allowsCpuFallback,
  executionProvidersFromSettings,
  platformExecutionProviders,
  installHint,
  type ExecutionProvider,
} from './executionProviders';
export { ExecutionProviderError } from './executionProviderError';
export { probeExecutionProvider, probeExecutionProviders, type ProviderProbe } from './probeExecutionProvider';
export { ortVersion } from './ortVersion';
export { ortTypeOf, allocate, type OrtType, type TensorData } from './ortTypes';
export {
  makeTensor,
  tensorFromData,
  type OrtTensor,
  type OrtSession,
  type OrtRunOptions,
  type OrtValueMetadata,
  type OrtOutputs,
} from './ortTensor';
export { parseNpy, readNpy, npyToFloat64, type NpyArray, type NpyType, type NpyValues } from './parseNpy';
export { writeNpy } from './writeNpy';
export { seededRandom } from '../random/seededRandom';
export {
  makeInputs,
  planInputs,
  randomTensor,
  loadFeeds,
  castValues,
  flattenNested,
  type Feeds,
  type InputOptions,
  type InputPlan,
} from './makeInputs';
export { latencyStats, percentile, type LatencyStats } from './latencyStats';
export {
  benchmarkModel,
  type BenchmarkOptions,
  type BenchmarkProgress,
  type BenchmarkConfig,
  type BenchmarkResult,
} from './benchmarkModel';
export {
  tryModel,
  summarizeOutput,
  topKOfRow,
  type TryModelOptions,
  type TryModelResult,
  type OutputSummary,
  type TopKEntry,
} from './tryModel';
export { compareBenchmarks, COMPARED_FIGURES, type BenchmarkComparison, type ComparedFigure, type FigureDelta } from './compareBenchmarks';
export {
  compareTensors,
  DEFAULT_TOLERANCE,
  type Tolerance,
  type TensorComparison,
  type TensorMismatch,
  type ActualTensor,
} from './compareTensors';
export { runTestDataSet, type TestDataOptions, type TestDataResult, type TestDataStatus } from './runTestDataSet';
