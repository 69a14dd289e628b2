/**
 * The server's request capture: samples requests of every protocol at one rate, hands each sampled one to its
 * model's ModelCapture (which writes off the request path), and reports captured and dropped counts in /metrics.
 */
import type { Logger } from '../../logger';
import type { MetricsRegistry } from '../prometheus';
import { ModelCapture, type CaptureConfig, type CaptureStatus, type CapturedTensor } from './modelCapture';

export class ServerCapture {
  private readonly models = new Map<string, ModelCapture>();
  private readonly random: () => number;

  constructor(
    readonly config: CaptureConfig,
    private readonly logger: Logger,
  ) {
    this.random = config.random ?? Math.random;
  }

  private of(model: string): ModelCapture {
    let m = this.models.get(model);
    if (!m) {
      m = new ModelCapture(model, this.config, this.logger);
      this.models.set(model, m);
    }
    return m;
  }

  /** Called once per answered prediction; the sampling decision is all it costs when the request is not sampled. */
  offer(model: string, protocol: string, id: string | undefined, inputs: () => CapturedTensor[], outputs: CapturedTensor[]): void {
    if (this.random() >= this.config.rate) return;
    this.of(model).offer({ time: new Date().toISOString(), id, protocol, inputs: inputs(), outputs });
  }

  status(model: string): CaptureStatus {
    return this.of(model).status();
  }

  /** Prometheus counters of captured and dropped requests, and the bytes each model's folder holds. */
  register(registry: MetricsRegistry): void {
    const captured = registry.counter('mlw_capture_requests_total', 'Requests written to the capture folder, by model.', ['model']);
    const dropped = registry.counter(
      'mlw_capture_dropped_total',
      'Sampled requests not captured, by model and reason (queue_full, size_cap, error).',
      ['model', 'reason'],
    );
    const bytes = registry.gauge('mlw_capture_bytes', 'Bytes in the model capture folder.', ['model']);
    registry.onCollect(() => {
      for (const m of this.models.values()) {
        captured.inc([m.model], m.captured - captured.value([m.model]));
        for (const [reason, n] of Object.entries(m.dropped)) dropped.inc([m.model, reason], n - dropped.value([m.model, reason]));
        bytes.set([m.model], m.bytes);
      }
    });
  }

  /** Writes every queued capture and closes the files. */
  async close(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.close()));
  }
}
