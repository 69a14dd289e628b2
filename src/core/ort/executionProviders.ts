/**
 * Execution providers by the names onnxruntime-node takes, the `--ep` list and the setting, and what to install
 * when one does not load. Pure: nothing here loads the native runtime.
 *
 * The fallback rule, one for the CLI, the server and the extension: a session falls back to CPU when a requested
 * provider cannot load only if the list itself names `cpu` (`--ep cuda,cpu`). `--ep cuda` means CUDA or an error.
 */

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export const DEFAULT_EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu'];

export function isExecutionProvider(name: string): name is ExecutionProvider {
  return (EXECUTION_PROVIDERS as readonly string[]).includes(name);
}

/**
 * A provider list from `--ep cuda,cpu` or from the setting's array: trimmed, lower-cased, duplicates dropped, order
 * kept. Throws for an empty list or an unknown name; `what` ("--ep", a setting name) starts the message.
 */
export function parseExecutionProviders(value: string | readonly string[], what = '--ep'): ExecutionProvider[] {
  const names = (typeof value === 'string' ? value.split(',') : value).map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
  if (names.length === 0) throw new Error(`${what} needs at least one execution provider, e.g. cuda,cpu`);
  const out: ExecutionProvider[] = [];
  for (const n of names) {
    if (!isExecutionProvider(n)) throw new Error(`${what}: unknown execution provider '${n}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Whether a session may fall back to CPU when a provider of `providers` cannot load: only when `cpu` is listed. */
export function allowsCpuFallback(providers: readonly string[]): boolean {
  return providers.includes('cpu');
}

/**
 * The list to pass as `--ep` for the mlWorkbench.executionProviders and mlWorkbench.executionProviderFallback
 * settings: with the fallback on, `cpu` is appended when missing; with it off, `cpu` is dropped unless it is the
 * only provider (ORT still runs the nodes a GPU provider cannot take on CPU: that is not the fallback).
 */
export function executionProvidersFromSettings(providers: readonly string[] | undefined, fallback: boolean): ExecutionProvider[] {
  const list =
    providers && providers.length > 0
      ? parseExecutionProviders(providers, 'mlWorkbench.executionProviders')
      : [...DEFAULT_EXECUTION_PROVIDERS];
  if (fallback) return list.includes('cpu') ? list : [...list, 'cpu'];
  const withoutCpu = list.filter((p) => p !== 'cpu');
  return withoutCpu.length > 0 ? withoutCpu : list;
}

/** The candidates worth probing on a platform, as onnxruntime-node's prebuilt binaries ship them (its README). */
export function platformExecutionProviders(platform: NodeJS.Platform = process.platform, arch: string = process.arch): ExecutionProvider[] {
  if (platform === 'linux') return arch === 'x64' ? ['cpu', 'cuda', 'tensorrt', 'webgpu'] : ['cpu'];
  if (platform === 'win32') return ['cpu', 'dml', 'webgpu'];
  if (platform === 'darwin') return ['cpu', 'coreml', 'webgpu'];
  return ['cpu'];
}

/**
 * How to get a provider that did not load, in one sentence. CUDA and TensorRT come from onnxruntime-node's
 * install script (script/install.js: ONNXRUNTIME_NODE_INSTALL=cuda12 downloads the CUDA 12 provider libraries,
 * TensorRT's included): run by hand when its path is known (`installScript`), else through npm. The others ship
 * with the package on their platform only.
 */
export function installHint(provider: string, installScript?: string): string {
  const cuda = installScript
    ? `ONNXRUNTIME_NODE_INSTALL=cuda12 node ${installScript}`
    : 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node';
  switch (provider) {
    case 'cuda':
      return `install onnxruntime-node's CUDA 12 binaries with \`${cuda}\` (Linux x64; needs an NVIDIA GPU, CUDA 12 and cuDNN 9)`;
    case 'tensorrt':
      return `install onnxruntime-node's CUDA 12 binaries with \`${cuda}\` and TensorRT 10 on the library path (Linux x64, NVIDIA GPU)`;
    case 'dml':
      return 'DirectML ships with onnxruntime-node on Windows only (x64 and arm64) and needs a DirectX 12 GPU';
    case 'coreml':
      return 'CoreML ships with onnxruntime-node on macOS only';
    case 'webgpu':
      return 'WebGPU (experimental) needs a GPU adapter: Vulkan drivers on Linux x64, Direct3D 12 on Windows, Metal on macOS';
    case 'cpu':
      return 'the CPU provider ships with onnxruntime-node; reinstall it for this platform';
    default:
      return `onnxruntime-node has no execution provider '${provider}'`;
  }
}
