/**
 * The child process of one model's sessions (started by SessionWorkerClient with process.execPath): loads the
 * model, runs it on the inputs it is sent, times runs, and reports its own peak RSS
 * (process.resourceUsage().maxRSS), so each model's memory is measured alone. Built as dist/sessionWorker.js
 * beside mlw.js, and compiled beside this file for the tests.
 */
import { performance } from 'node:perf_hooks';
import { createSession, OrtSessionError, QUIET_RUN_OPTIONS } from '../ort/createSession';
import { loadOrt } from '../ort/loadOrt';
import { makeTensor, type OrtSession, type OrtTensor } from '../ort/ortTensor';
import type { TensorData } from '../ort/ortTypes';
import type { WireTensor, WorkerMessage, WorkerRequest, WorkerResult } from './sessionWorkerProtocol';

const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

function toFeeds(tensors: readonly WireTensor[]): Record<string, OrtTensor> {
  return Object.fromEntries(tensors.map((t) => [t.name, makeTensor(t.type, t.data, t.dims)]));
}

let session: OrtSession | undefined;
let path = '';
let outputs: string[] = [];
let timedFeeds: Record<string, OrtTensor> = {};

async function handle(request: WorkerRequest): Promise<WorkerResult> {
  switch (request.op) {
    case 'load': {
      loadOrt();
      const baselineRssBytes = maxRssBytes();
      path = request.path;
      const t0 = performance.now();
      const created = await createSession(request.path, {
        graphOptimizationLevel: request.graphOptimizationLevel,
        intraOpThreads: request.intraOpThreads,
        executionProviders: ['cpu'],
      });
      const sessionCreateMs = performance.now() - t0;
      session = created.session;
      outputs = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
      if (outputs.length === 0) throw new OrtSessionError(path, 'run', 'the model has no tensor outputs');
      return { sessionCreateMs, baselineRssBytes, outputs };
    }
    case 'run': {
      const s = loaded();
      let result: Awaited<ReturnType<OrtSession['run']>>;
      try {
        result = await s.run(toFeeds(request.feeds), outputs, QUIET_RUN_OPTIONS);
      } catch (e) {
        throw new OrtSessionError(path, 'run', e);
      }
      return {
        outputs: outputs.map((name) => {
          const t = result[name];
          return { name, type: t.type as WireTensor['type'], dims: [...t.dims], data: t.data as TensorData };
        }),
      };
    }
    case 'setTimedFeeds':
      timedFeeds = toFeeds(request.feeds);
      return {};
    case 'time': {
      // The bare loop of benchmarkModel: session.run, one clock read, one store.
      const s = loaded();
      const latencies = new Array<number>(request.runs);
      const start = performance.now();
      let before = start;
      try {
        for (let i = 0; i < request.runs; i++) {
          await s.run(timedFeeds, outputs);
          const after = performance.now();
          latencies[i] = after - before;
          before = after;
        }
      } catch (e) {
        throw new OrtSessionError(path, 'run', e);
      }
      return { latenciesMs: latencies, wallMs: before - start };
    }
    case 'memory':
      return { peakRssBytes: maxRssBytes() };
  }
}

function loaded(): OrtSession {
  if (!session) throw new Error('no model loaded');
  return session;
}

function main(): void {
  process.on('message', (raw: { id: number; request: WorkerRequest }) => {
    void handle(raw.request).then(
      (result) => process.send?.({ id: raw.id, ok: true, result } satisfies WorkerMessage),
      (e: unknown) =>
        process.send?.({
          id: raw.id,
          ok: false,
          error: (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' '),
        } satisfies WorkerMessage),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) main();
