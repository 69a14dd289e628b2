/** One served model: its ORT session, protocol signature, batcher and drift monitor. */
import { causeText, createSession, OrtSessionError } from '../ort/createSession';
import type { ExecutionProvider } from '../ort/executionProviders';
import { makeTensor, type OrtOutputs, type OrtRunOptions, type OrtSession, type OrtTensor, type OrtValueMetadata } from '../ort/ortTensor';
import type { TensorData } from '../ort/ortTypes';
import { DynamicBatcher, type BatchResult } from './dynamicBatcher';
import { DriftMonitor } from './driftMonitor';
import { datatypeOfOrt, ortTypeOfDatatype, type HostTensor } from './datatypes';
import type { DriftProfile } from './driftProfile';
import { HttpError } from './httpError';
import type { InferRequest, ModelSignature, TensorSpec } from './inferRequest';

export type ModelState = 'loading' | 'ready' | 'failed' | 'unloaded';

export const MODEL_VERSION = '1';
/** Run failures are answered to the client and logged in the access log; ORT need not print them to stderr too. */
const RUN_OPTIONS: OrtRunOptions = { logSeverityLevel: 4 };
export const PLATFORM = 'onnxruntime_onnx';

export interface ModelConfig {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  intraOpThreads?: number;
  /** Default ['cpu']; falls back to CPU when a provider cannot load only if the list names cpu. */
  executionProviders?: readonly ExecutionProvider[];
  reference?: DriftProfile;
  onRun?: (model: string, requests: number, rows: number, inferenceMs: number) => void;
  warn?: (message: string) => void;
}

function specsOf(metadata: readonly OrtValueMetadata[], kind: string, model: string): { specs: TensorSpec[]; skipped: string[] } {
  const specs: TensorSpec[] = [];
  const skipped: string[] = [];
  for (const m of metadata) {
    const datatype = m.isTensor ? datatypeOfOrt(m.type) : undefined;
    if (!m.isTensor || !datatype) {
      if (kind === 'input') throw new Error(`model '${model}': input '${m.name}' is not a tensor of a supported type`);
      skipped.push(m.name);
      continue;
    }
    specs.push({ name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) });
  }
  return { specs, skipped };
}

/** ORT's "invalid argument" run failures are the client's fault (e.g. a shape the graph cannot take). */
function runError(e: unknown, model: string): HttpError {
  const message = e instanceof Error ? e.message : String(e);
  const clientFault =
    /invalid dimensions|invalid input|unexpected input|invalid argument|shape mismatch|incompatible dimensions|out of (range|bounds)|indices element/i.test(
      message,
    );
  return new HttpError(clientFault ? 400 : 500, `inference failed for model '${model}': ${message.split('\n').join(' ').trim()}`);
}

export class ServedModel {
  state: ModelState = 'loading';
  error: string | undefined;
  signature: ModelSignature;
  batchable = false;
  /** Output names skipped because they are not tensors (e.g. ZipMap maps). */
  skippedOutputs: string[] = [];
  private session: OrtSession | undefined;
  /** The providers the session runs on. */
  executionProviders: ExecutionProvider[] = [];
  batcher: DynamicBatcher | undefined;
  drift: DriftMonitor | undefined;
  /** Set when a roll replaced this model: requests that looked it up before the switch run on the successor. */
  private successor: ServedModel | undefined;
  readonly counts = { requests: 0, success: 0, failure: 0, runs: 0, rows: 0, queueMs: 0, inferenceMs: 0 };

  constructor(
    readonly name: string,
    readonly path: string,
  ) {
    this.signature = { name, inputs: [], outputs: [] };
  }

  get version(): string {
    return MODEL_VERSION;
  }

  /** Loads the session (ORT loads synchronously on this thread) and builds the batcher and the drift monitor. */
  async load(config: ModelConfig): Promise<void> {
    try {
      const { session, executionProviders } = await createSession(this.path, {
        intraOpThreads: config.intraOpThreads,
        executionProviders: config.executionProviders,
        logger: { warn: (m) => config.warn?.(`model '${this.name}': ${m}`) },
      });
      this.executionProviders = executionProviders;
      const inputs = specsOf(session.inputMetadata, 'input', this.name).specs;
      const { specs: outputs, skipped } = specsOf(session.outputMetadata, 'output', this.name);
      if (outputs.length === 0) throw new Error(`model '${this.name}' has no tensor outputs`);
      this.session = session;
      this.signature = { name: this.name, inputs, outputs };
      this.skippedOutputs = skipped;
      const firstDynamic = (s: TensorSpec) => s.shape.length > 0 && s.shape[0] === -1;
      this.batchable = inputs.length > 0 && inputs.every(firstDynamic) && outputs.every(firstDynamic);
      this.batcher = new DynamicBatcher(
        { run: (feeds, names) => this.runSession(feeds, names) },
        {
          maxBatchSize: config.maxBatchSize,
          maxQueueDelayMs: config.maxQueueDelayMs,
          batchable: this.batchable,
          outputNames: outputs.map((o) => o.name),
          onRun: (requests, rows, ms) => {
            this.counts.runs++;
            this.counts.rows += rows;
            this.counts.inferenceMs += ms;
            config.onRun?.(this.name, requests, rows, ms);
          },
          onUnbatchable: (why) => {
            this.batchable = false;
            config.warn?.(`model '${this.name}': dynamic batching turned off: ${why}`);
          },
        },
      );
      this.drift = new DriftMonitor(inputs, config.reference);
      for (const w of this.drift.warnings) config.warn?.(`model '${this.name}': ${w}`);
      this.state = 'ready';
    } catch (e) {
      this.state = 'failed';
      // The model's name and path lead the message already: of a load failure keep ORT's own words.
      this.error = e instanceof OrtSessionError && e.stage === 'load' ? causeText(e.cause) : e instanceof Error ? e.message : String(e);
      throw new Error(`cannot load model '${this.name}' from ${this.path}: ${this.error}`);
    }
  }

  private async runSession(inputs: HostTensor[], outputNames: string[]): Promise<Map<string, HostTensor>> {
    const session = this.session;
    if (!session) throw new HttpError(503, `model '${this.name}' is not loaded`);
    const feeds: Record<string, OrtTensor> = {};
    this.signature.inputs.forEach((spec, i) => {
      const t = inputs[i];
      feeds[spec.name] = makeTensor(ortTypeOfDatatype(t.datatype), t.data, t.shape);
    });
    let results: OrtOutputs;
    try {
      results = await session.run(feeds, outputNames, RUN_OPTIONS);
    } catch (e) {
      throw runError(e, this.name);
    }
    const out = new Map<string, HostTensor>();
    for (const name of outputNames) {
      const t = results[name] as OrtTensor | undefined;
      const datatype = t && datatypeOfOrt(t.type);
      if (!t || !datatype) throw new HttpError(500, `model '${this.name}' produced no tensor for output '${name}'`);
      let data = t.data as TensorData;
      // Where a Float16Array exists (newer runtimes), ORT hands FP16 data out as one: keep the raw half bits.
      if (datatype === 'FP16' && !(data instanceof Uint16Array)) {
        const a = data as unknown as ArrayBufferView & { length: number };
        data = new Uint16Array(a.buffer, a.byteOffset, a.length);
      }
      out.set(name, { datatype, shape: Array.from(t.dims), data });
    }
    return out;
  }

  /** Queues a validated request; resolves with its outputs and timings. */
  infer(req: InferRequest): Promise<BatchResult> {
    if (this.successor) return this.successor.infer(req);
    if (this.state !== 'ready' || !this.batcher)
      return Promise.reject(new HttpError(503, `model '${this.name}' is not ready (${this.state})`));
    return this.batcher.submit(req);
  }

  /** Protocol model metadata. */
  metadata(): object {
    return {
      name: this.name,
      versions: [MODEL_VERSION],
      platform: PLATFORM,
      inputs: this.signature.inputs,
      outputs: this.signature.outputs,
    };
  }

  /**
   * Hands over to `next` (already loaded, and switched in by the caller): what was queued here finishes on this
   * session, anything submitted later runs on `next`; then this session is released.
   */
  async retire(next: ServedModel): Promise<void> {
    this.successor = next;
    await this.batcher?.idle();
    const s = this.session;
    this.session = undefined;
    await s?.release();
  }

  async release(): Promise<void> {
    await this.batcher?.idle();
    const s = this.session;
    this.session = undefined;
    this.state = 'unloaded';
    await s?.release();
  }
}
