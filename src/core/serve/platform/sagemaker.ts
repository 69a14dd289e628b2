/**
 * SageMaker's bring-your-own-container contract for real-time endpoints: `GET /ping` 200 once the model is loaded,
 * `POST /invocations` with application/json (OIP v2 or {"instances": [...]}), text/csv rows or application/x-npy,
 * answered in the Accept type.
 */
import type { PlatformAdapter } from './platformAdapter';
import { answerType, encodeAnswer, parseBody } from './platformBodies';

export function sagemakerAdapter(): PlatformAdapter {
  return {
    protocol: 'sagemaker',
    route(pathname) {
      if (pathname === '/ping')
        return { methods: ['GET'], handle: (call) => call.json(call.ready ? 200 : 503, { status: call.ready ? 'ready' : 'loading' }) };
      if (pathname !== '/invocations') return undefined;
      return {
        methods: ['POST'],
        async handle(call) {
          const model = call.model(call.req.headers['x-amzn-sagemaker-target-model'] as string | undefined);
          const type = answerType(call.req.headers.accept);
          const bytes = await call.readBody();
          const { request, style } = parseBody(model.signature, call.req.headers['content-type'], bytes);
          const outputs = await call.predict(model, request);
          const answer = encodeAnswer(type, style, model, request, outputs);
          call.send(200, answer.body, answer.contentType);
        },
      };
    },
  };
}
