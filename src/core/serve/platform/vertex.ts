/**
 * Vertex AI's custom-container contract: health on AIP_HEALTH_ROUTE (200 once loaded), prediction on AIP_PREDICT_ROUTE
 * with {"instances": [...], "parameters": {...}} answered as {"predictions": [...]}, and a clear 413 above Vertex's
 * online prediction request cap (1.5 MB).
 */
import { HttpError } from '../httpError';
import type { PlatformAdapter } from './platformAdapter';
import { parseJsonBody } from './platformBodies';
import { predictionRows } from '../tfServing';

export const VERTEX_REQUEST_LIMIT = 1.5 * 2 ** 20;

export interface VertexRoutes {
  health: string;
  predict: string;
}

export function vertexAdapter(routes: VertexRoutes): PlatformAdapter {
  return {
    protocol: 'vertex',
    route(pathname) {
      if (pathname === routes.health)
        return { methods: ['GET'], handle: (call) => call.json(call.ready ? 200 : 503, { status: call.ready ? 'ready' : 'loading' }) };
      if (pathname !== routes.predict) return undefined;
      return {
        methods: ['POST'],
        async handle(call) {
          const model = call.model();
          const bytes = await call.readBody(VERTEX_REQUEST_LIMIT).catch((e: unknown) => {
            if (e instanceof HttpError && e.status === 413)
              throw new HttpError(
                413,
                `the request is larger than Vertex AI's online prediction limit of 1.5 MB (${VERTEX_REQUEST_LIMIT} bytes)`,
              );
            throw e;
          });
          const { request } = parseJsonBody(model.signature, bytes);
          const outputs = await call.predict(model, request);
          call.send(200, `{"predictions":${predictionRows(outputs)}}`, 'application/json');
        },
      };
    },
  };
}
