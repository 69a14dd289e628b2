/**
 * Azure Machine Learning's custom-container contract for online endpoints: liveness, readiness and scoring routes as
 * the deployment's inference_config sets them (passed here through environment variables, see platformContract.ts).
 * Scoring takes the same bodies as SageMaker's /invocations (JSON, CSV, .npy) and answers in the Accept type.
 */
import type { PlatformAdapter } from './platformAdapter';
import { answerType, encodeAnswer, parseBody } from './platformBodies';

export interface AzureRoutes {
  liveness: string;
  readiness: string;
  scoring: string;
}

export function azuremlAdapter(routes: AzureRoutes): PlatformAdapter {
  return {
    protocol: 'azureml',
    route(pathname) {
      if (pathname === routes.scoring)
        return {
          methods: ['POST'],
          async handle(call) {
            const model = call.model();
            const type = answerType(call.req.headers.accept);
            const { request, style } = parseBody(model.signature, call.req.headers['content-type'], await call.readBody());
            const outputs = await call.predict(model, request);
            const answer = encodeAnswer(type, style, model, request, outputs);
            call.send(200, answer.body, answer.contentType);
          },
        };
      if (pathname === routes.readiness)
        return { methods: ['GET'], handle: (call) => call.json(call.ready ? 200 : 503, { ready: call.ready }) };
      if (pathname === routes.liveness) return { methods: ['GET'], handle: (call) => call.json(200, { live: true }) };
      return undefined;
    },
  };
}
