/**
 * A cloud platform's container contract (SageMaker, Vertex AI, Azure ML) as extra routes of the one server. An adapter
 * only maps its request and answer formats: every prediction goes through the server's shared path (batching,
 * metrics, drift) via AdapterCall.predict.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostTensor } from '../datatypes';
import type { InferRequest } from '../inferRequest';
import type { ServedModel } from '../servedModel';

export interface AdapterCall {
  req: IncomingMessage;
  res: ServerResponse;
  /** Every model loaded and not draining. */
  readonly ready: boolean;
  /** The named model, or the only/first one; 404 when unknown, 503 while it loads. */
  model(name?: string): ServedModel;
  /** The whole body; 413 past the limit (default the server's). */
  readBody(limit?: number): Promise<Buffer>;
  /** The shared prediction path: the requested outputs in request order. */
  predict(model: ServedModel, request: InferRequest): Promise<{ name: string; tensor: HostTensor }[]>;
  send(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string>): void;
  json(status: number, body: unknown): void;
}

export interface AdapterRoute {
  methods: string[];
  handle(call: AdapterCall): Promise<void> | void;
}

export interface PlatformAdapter {
  /** The `protocol` label of the metrics and access log. */
  protocol: string;
  route(pathname: string): AdapterRoute | undefined;
}
