/** The server's Prometheus metrics. Durations are in seconds, as Prometheus prefers. */
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './prometheus';
import type { ServedModel } from './servedModel';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests: Counter;
  readonly protocolRequests: Counter;
  readonly requestDuration: Histogram;
  readonly queueDuration: Histogram;
  readonly inferenceDuration: Histogram;
  readonly inflight: Gauge;
  readonly batchSize: Histogram;
  readonly batchRows: Histogram;
  readonly modelReady: Gauge;
  readonly driftPsi: Gauge;
  readonly driftKs: Gauge;
  readonly driftCount: Gauge;

  constructor(models: () => Iterable<ServedModel>) {
    const r = this.registry;
    this.requests = r.counter('mlw_requests_total', 'HTTP requests by model ("" for non-inference routes) and status code.', [
      'model',
      'code',
    ]);
    this.protocolRequests = r.counter(
      'mlw_protocol_requests_total',
      'HTTP requests by model (as in mlw_requests_total), protocol (v2, tfserving, sagemaker, vertex, azureml) and status code.',
      ['model', 'protocol', 'code'],
    );
    this.requestDuration = r.histogram(
      'mlw_request_duration_seconds',
      'Time from request start to response end.',
      ['model'],
      LATENCY_BUCKETS,
    );
    this.queueDuration = r.histogram(
      'mlw_queue_duration_seconds',
      'Time an inference request waited in the batching queue.',
      ['model'],
      LATENCY_BUCKETS,
    );
    this.inferenceDuration = r.histogram(
      'mlw_inference_duration_seconds',
      'Duration of one session.run (a whole batch).',
      ['model'],
      LATENCY_BUCKETS,
    );
    this.inflight = r.gauge('mlw_inflight_requests', 'HTTP requests being processed.');
    this.batchSize = r.histogram('mlw_batch_size', 'Requests merged into one session.run.', ['model'], BATCH_BUCKETS);
    this.batchRows = r.histogram('mlw_batch_rows', 'Rows (dim 0) in one session.run.', ['model'], BATCH_BUCKETS);
    this.modelReady = r.gauge('mlw_model_ready', '1 when the model is loaded and ready.', ['model']);
    this.driftPsi = r.gauge('mlw_drift_psi', 'Population stability index of a feature against the reference profile.', [
      'model',
      'input',
      'feature',
    ]);
    this.driftKs = r.gauge('mlw_drift_ks', 'Kolmogorov-Smirnov statistic of a feature against the reference profile.', [
      'model',
      'input',
      'feature',
    ]);
    this.driftCount = r.gauge('mlw_drift_observed_values', 'Values of a feature included in the drift statistics.', [
      'model',
      'input',
      'feature',
    ]);
    this.inflight.set([], 0);
    r.onCollect(() => {
      this.driftPsi.clear();
      this.driftKs.clear();
      this.driftCount.clear();
      for (const m of models()) {
        this.modelReady.set([m.name], m.state === 'ready' ? 1 : 0);
        if (!m.drift) continue;
        for (const input of m.drift.stats()) {
          for (const f of input.features) {
            const labels = [m.name, input.name, f.name ?? String(f.index)];
            this.driftCount.set(labels, f.count);
            if (f.psi !== null) this.driftPsi.set(labels, f.psi);
            if (f.ks !== null) this.driftKs.set(labels, f.ks);
          }
        }
      }
    });
  }

  onRun(model: string, requests: number, rows: number, inferenceMs: number): void {
    this.batchSize.observe([model], requests);
    this.batchRows.observe([model], rows);
    this.inferenceDuration.observe([model], inferenceMs / 1000);
  }
}
