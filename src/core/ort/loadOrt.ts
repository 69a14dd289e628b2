/**
 * onnxruntime-node, loaded on first use rather than at import: the native addon takes time to load, and the
 * extension host imports this layer (Check Environment) without running a model.
 */
import { existsSync } from 'node:fs';

type Ort = typeof import('onnxruntime-node');

let loaded: Ort | undefined;

export function loadOrt(): Ort {
  if (loaded === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as Ort;
    // ORT's process-wide logger prints an error block to stderr when a provider library does not load; this layer
    // reports that itself in one line (ExecutionProviderError), so only fatal errors reach stderr. Sessions keep
    // their own level (createSession: errors only). Read when the first session is created, so set it first.
    ort.env.logLevel = 'fatal';
    loaded = ort;
  }
  return loaded;
}

/**
 * onnxruntime-node's own install script (script/install.js, which downloads the CUDA provider libraries), when the
 * package in use has it: a VSIX carries only the package's dist/, and this project's npm denies install scripts,
 * so running the script by hand is the one way that always works. Does not load the native runtime.
 */
export function ortInstallScript(): string | undefined {
  try {
    const script = require.resolve('onnxruntime-node/script/install.js');
    return existsSync(script) ? script : undefined;
  } catch {
    return undefined;
  }
}
