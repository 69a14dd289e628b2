/** The before/after report of an optimisation: JSON-able, the same for `mlw optimize --json` and the report panel. */
import type { OperatorCount } from '../onnx/modelSummary';
import type { Agreement } from './outputAgreement';
import type { ClassificationMetrics } from './classificationMetrics';

export interface OperatorChange {
  /** `Gemm`, or `com.microsoft.FusedConv` outside the default domain. */
  op: string;
  before: number;
  after: number;
}

/** The figures of one model, all measured in the same run. */
export interface ModelFigures {
  path: string;
  sha256: string;
  /** Bytes on disk: the .onnx file and its external data files. */
  fileSize: number;
  /** Bytes of weights (initializers and Constant tensors). */
  weightBytes: number;
  weightBytesByDtype: Record<string, number>;
  /** Nodes of the graph and its subgraphs. */
  nodes: number;
  operators: OperatorCount[];
  sessionCreateMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Inferences per second over the timed runs. */
  throughput: number;
  /** Peak resident set size of the model's own session process (see OptimizationReport.measurement). */
  peakRssBytes: number;
  /** That process's peak RSS once onnxruntime had loaded, before the model's session was created. */
  baselineRssBytes: number;
  /** With labels: accuracy and macro F1 on the evaluation set. */
  classification?: ClassificationMetrics;
}

export interface VariantFigures extends ModelFigures {
  recipe: string;
  /** The file the recipe was applied to, and its sha256 (also in the variant's metadata props). */
  parentPath: string;
  parentSha256: string;
  operatorsAdded: OperatorChange[];
  operatorsRemoved: OperatorChange[];
  /** Against the original on the evaluation inputs. */
  agreement: Agreement;
  /** e.g. "ort-extended: 1.0× size, 1.2× faster p50, cosine 1.000000". */
  verdict: string;
}

export interface OptimizationReport {
  original: ModelFigures;
  variants: VariantFigures[];
  /** The inputs agreement and accuracy were measured on, and the level those sessions ran at ('disabled': as written). */
  evaluation: { source: 'files' | 'generated'; description: string; samples: number; batches: number; graphOptimizationLevel: string };
  measurement: {
    /** How latency was measured: interleaved rounds, runs, batch, inputs, the level sessions were created at. */
    benchmark: {
      warmup: number;
      runs: number;
      burst: number;
      rounds: number;
      batchSize: number;
      inputs: { name: string; type: string; shape: number[] }[];
      graphOptimizationLevel: string;
    };
    rss: string;
    onnxruntime: string;
    cpu: string;
    cores: number;
  };
}
