/**
 * Whether an execution provider loads here: a session of the tiny probe model is created with that provider alone
 * and run once. Used by Check Environment to list the providers that load, and by createSession to name the one
 * that failed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ExecutionProvider } from './executionProviders';
import { ExecutionProviderError } from './executionProviderError';
import { loadOrt } from './loadOrt';
import { probeModel } from './probeModel';

const execFileAsync = promisify(execFile);

export type ProviderProbe =
  { provider: ExecutionProvider; loads: true } | { provider: ExecutionProvider; loads: false; error: ExecutionProviderError };

export async function probeExecutionProvider(provider: ExecutionProvider): Promise<ProviderProbe> {
  try {
    const ort = loadOrt();
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [provider], logSeverityLevel: 3 });
    try {
      await session.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) }, { logSeverityLevel: 3 });
    } finally {
      await session.release().catch(() => undefined);
    }
    return { provider, loads: true };
  } catch (e) {
    return { provider, loads: false, error: new ExecutionProviderError(provider, e) };
  }
}

/** What the probe child runs: each provider named in argv after the ORT path and the base64 model, one session at a time. */
const CHILD_PROBE = `
const ort = require(process.argv[1]);
ort.env.logLevel = 'fatal';
const model = Buffer.from(process.argv[2], 'base64');
(async () => {
  const out = [];
  for (const provider of process.argv.slice(3)) {
    try {
      const s = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 3 });
      await s.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) });
      await s.release();
      out.push({ provider, loads: true });
    } catch (e) {
      out.push({ provider, loads: false, message: String((e && e.message) || e) });
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/**
 * Probes each provider in turn, one session at a time, in a child process: a provider library that fails to load
 * writes its own lines to stderr (WebGPU's Dawn: "Couldn't load Vulkan"), and one that crashes would take the
 * calling process with it (the extension host, mlw doctor). Falls back to probing here if no child can start.
 */
export async function probeExecutionProviders(providers: readonly ExecutionProvider[]): Promise<ProviderProbe[]> {
  if (providers.length === 0) return [];
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['-e', CHILD_PROBE, require.resolve('onnxruntime-node'), Buffer.from(probeModel()).toString('base64'), ...providers],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 60_000, maxBuffer: 1 << 20 },
    );
    const results = JSON.parse(stdout) as { provider: ExecutionProvider; loads: boolean; message?: string }[];
    return providers.map((provider) => {
      const r = results.find((x) => x.provider === provider);
      if (r?.loads) return { provider, loads: true };
      return {
        provider,
        loads: false,
        error: new ExecutionProviderError(provider, new Error(r?.message ?? 'the probe process gave no answer')),
      };
    });
  } catch {
    const out: ProviderProbe[] = [];
    for (const p of providers) out.push(await probeExecutionProvider(p));
    return out;
  }
}
