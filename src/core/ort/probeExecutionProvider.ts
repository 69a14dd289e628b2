/**
 * Whether an execution provider loads here: a session of the tiny probe model is created with that provider alone
 * and run once. Used by Check Environment to list the providers that load, and by createSession to name the one
 * that failed.
 */
import type { ExecutionProvider } from './executionProviders';
import { ExecutionProviderError } from './executionProviderError';
import { loadOrt } from './loadOrt';
import { probeModel } from './probeModel';

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

/** Probes each provider in turn, one session at a time. */
export async function probeExecutionProviders(providers: readonly ExecutionProvider[]): Promise<ProviderProbe[]> {
  const out: ProviderProbe[] = [];
  for (const p of providers) out.push(await probeExecutionProvider(p));
  return out;
}
