/**
 * `mlw serve` arguments -> ServerOptions, and the serve loop shared by the CLI command and the process entry
 * (main.ts) that the extension and the container start.
 *
 * stdout carries one JSON object per line, so a parent process can follow it:
 *   {"event":"listening","url":"http://127.0.0.1:PORT"}     as soon as the socket listens
 *   {"event":"ready","url":...,"models":[...]}               when every model is loaded
 *   {"event":"request",...}                                  one per request (--access-log stdout, the default)
 *   {"event":"closed"}                                       after a drain on SIGTERM/SIGINT
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../logger';
import { parseExecutionProviders } from '../ort/executionProviders';
import { parseProfile, type DriftProfile } from './driftProfile';
import { sidecarProfilePath } from './driftReport';
import { parseModelArg, resolveModelSources } from './modelSources';
import { parseByteSize } from './requestBody';
import { DEFAULTS, startServer, type ServerOptions } from './startServer';
import { followAliases } from './followAlias';
import type { AccessLogEntry } from './inferenceServer';
import { captureArgs, CAPTURE_OPTIONS, CAPTURE_USAGE, DRIFT_DIR_USAGE, driftDirArg } from './capture/captureArgs';

export const SERVE_USAGE = `mlw serve <model.onnx|folder|name=path|NAME@ALIAS|NAME@vN>... [options]

Serves ONNX models over the Open Inference Protocol v2 (KServe/Triton REST) with dynamic batching,
Prometheus metrics on /metrics and drift statistics on /v2/models/{name}/stats.
NAME@ALIAS (e.g. clf@champion) serves the registry version the alias points to, and follows it: when
promote or rollback moves the alias, the server loads and warms the new version, switches to it, lets
in-flight requests finish on the old one, and prints {"event":"rolled",...}. NAME@vN serves version N.
  --model name=path       add a model under a name (repeatable)
  --host HOST             bind address (default ${DEFAULTS.host})
  --port N                port; 0 picks a free one (default ${DEFAULTS.port})
  --max-batch N           max rows per run; 1 turns batching off (default ${DEFAULTS.maxBatchSize})
  --max-delay-ms MS       longest wait for batch companions (default ${DEFAULTS.maxQueueDelayMs})
  --body-limit SIZE       larger request bodies get 413, e.g. 64mb (default 64mb)
  --reference [name=]profile.json
                          drift reference from \`mlw profile\`; without name= it applies to every model (repeatable).
                          A model without one uses <model>.profile.json beside its file when that exists
  --access-log stdout|stderr|off|FILE
                          one JSON line per request (default stdout)
  --threads N             ONNX Runtime intra-op threads per model
  --ep LIST               execution providers in order, e.g. cuda,cpu (default cpu); a provider that cannot
                          load is an error, unless the list names cpu: then the server falls back to CPU
  --drain-timeout-ms MS   on SIGTERM, wait this long for in-flight requests (default ${DEFAULTS.drainTimeoutMs})
${CAPTURE_USAGE}
${DRIFT_DIR_USAGE}
stdout: JSON lines {"event":"listening","url":...}, {"event":"ready",...}, {"event":"request",...}.`;

export class ServeArgsError extends Error {}

const usage = (message: string): never => {
  throw new ServeArgsError(message);
};

export interface ServeArgs {
  options: ServerOptions;
  accessLog: string;
  /** What the arguments led to that the log should say (e.g. a profile found beside a model, or one that is unreadable). */
  notices: { level: 'info' | 'warn'; message: string }[];
}

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ServeArgsError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

export async function parseServeArgs(args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<ServeArgs> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      'max-batch': { type: 'string' },
      'max-delay-ms': { type: 'string' },
      'body-limit': { type: 'string' },
      reference: { type: 'string', multiple: true },
      'access-log': { type: 'string' },
      threads: { type: 'string' },
      ep: { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      ...CAPTURE_OPTIONS,
    },
  });
  const modelArgs = [...positionals, ...(values.model ?? [])];
  if (modelArgs.length === 0) throw new ServeArgsError('give at least one model file or folder');
  for (const m of values.model ?? [])
    if (parseModelArg(m).name === undefined) throw new ServeArgsError(`--model needs name=path, got "${m}"`);
  let models;
  try {
    models = await resolveModelSources(modelArgs, cwd);
  } catch (e) {
    throw new ServeArgsError((e as Error).message);
  }
  const references: Record<string, DriftProfile> = {};
  for (const r of values.reference ?? []) {
    const { name, path: p } = parseModelArg(r);
    const file = path.resolve(cwd, p);
    let profile: DriftProfile;
    try {
      profile = parseProfile(JSON.parse(await readFile(file, 'utf8')), file);
    } catch (e) {
      throw new ServeArgsError(`--reference ${r}: ${(e as Error).message}`);
    }
    references[name ?? '*'] = profile;
  }
  const notices: ServeArgs['notices'] = [];
  if (!references['*']) {
    for (const m of models) {
      if (references[m.name]) continue;
      const file = sidecarProfilePath(m.path);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // no profile beside the model: drift statistics without a reference
      }
      try {
        references[m.name] = parseProfile(JSON.parse(text), file);
        notices.push({ level: 'info', message: `model '${m.name}': drift reference ${file}` });
      } catch (e) {
        notices.push({ level: 'warn', message: `model '${m.name}': ignoring ${file}: ${(e as Error).message}` });
      }
    }
  }
  const port = intOption(values.port, 'port', 0);
  if (port !== undefined && port > 65535) throw new ServeArgsError('--port must be <= 65535');
  const delay = values['max-delay-ms'] === undefined ? undefined : Number(values['max-delay-ms']);
  if (delay !== undefined && !(delay >= 0 && delay <= 10_000)) throw new ServeArgsError('--max-delay-ms must be a number in [0, 10000]');
  let bodyLimitBytes: number | undefined;
  if (values['body-limit'] !== undefined) {
    try {
      bodyLimitBytes = parseByteSize(values['body-limit']);
    } catch (e) {
      throw new ServeArgsError(`--body-limit: ${(e as Error).message}`);
    }
  }
  let executionProviders;
  if (values.ep !== undefined) {
    try {
      executionProviders = parseExecutionProviders(values.ep);
    } catch (e) {
      throw new ServeArgsError((e as Error).message);
    }
  }
  return {
    options: {
      models,
      host: values.host,
      port,
      maxBatchSize: intOption(values['max-batch'], 'max-batch', 1),
      maxQueueDelayMs: delay,
      bodyLimitBytes,
      references: Object.keys(references).length ? references : undefined,
      intraOpThreads: intOption(values.threads, 'threads', 1),
      executionProviders,
      drainTimeoutMs: intOption(values['drain-timeout-ms'], 'drain-timeout-ms', 0),
      capture: captureArgs(values, cwd, env, usage),
      driftDir: driftDirArg(values, cwd, env),
    },
    accessLog: values['access-log'] ?? 'stdout',
    notices,
  };
}

export interface ServeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT: the server drains and runServe returns. */
  signal: AbortSignal;
}

/** Starts the server from arguments, prints the JSON events, and drains when the signal aborts. Returns an exit code. */
export async function runServe(args: string[], io: ServeIo, cwd = process.cwd(), extra: Partial<ServerOptions> = {}): Promise<number> {
  const { options, accessLog, notices } = await parseServeArgs(args, cwd);
  for (const n of notices) io.logger[n.level](n.message);
  let log: ((e: AccessLogEntry) => void) | undefined;
  let file: ReturnType<typeof createWriteStream> | undefined;
  if (accessLog === 'stdout') log = (e) => io.out(JSON.stringify({ event: 'request', ...e }));
  else if (accessLog === 'stderr') log = (e) => io.err(JSON.stringify({ event: 'request', ...e }));
  else if (accessLog !== 'off') {
    file = createWriteStream(path.resolve(cwd, accessLog), { flags: 'a' });
    const stream = file;
    log = (e) => stream.write(JSON.stringify({ event: 'request', ...e }) + '\n');
  }
  const server = await startServer(
    { ...options, ...extra, accessLog: log, onListening: (url) => io.out(JSON.stringify({ event: 'listening', url })) },
    io.logger,
  );
  const follower = followAliases(server, options.models, cwd, io);
  try {
    const models = [...server.handler.models.values()].map((m) => ({
      name: m.name,
      path: m.path,
      batching: m.batcher?.isBatching ?? false,
      reference: m.drift?.hasReference ?? false,
    }));
    io.out(JSON.stringify({ event: 'ready', url: server.url, models }));
    if (!io.signal.aborted) await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await follower.close();
    await server.close();
    io.out(JSON.stringify({ event: 'closed' }));
    if (file) await new Promise<void>((resolve) => file!.end(() => resolve()));
  }
  return 0;
}
