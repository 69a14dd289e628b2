import { execFile } from 'node:child_process';
import type { EnvironmentCheck, EnvironmentReport } from './environmentReport';
import { EngineUnavailableError, findEngine, type EngineEndpoint, type FindEngineOptions } from '../docker/findEngine';
import { engineVersion } from '../docker/pingEndpoint';
import type { Logger } from '../logger';
import { installHint, isExecutionProvider, platformExecutionProviders, type ExecutionProvider } from '../ort/executionProviders';
import { probeExecutionProviders } from '../ort/probeExecutionProvider';
import { ortInstallScript } from '../ort/loadOrt';
import { ortVersion } from '../ort/ortVersion';
import { checkInterpreter, MODULE_PACKAGES } from './checkInterpreter';

export interface EnvironmentOptions {
  /** Python interpreter to probe; `python3` on PATH when empty. */
  python?: string;
  /** The mlWorkbench.docker.host setting; empty means unset (then DOCKER_HOST, the Docker context, the default sockets). */
  dockerHost?: string;
  /** Overrides for the engine discovery (environment, home folder, system sockets); tests use them. */
  dockerDiscovery?: Omit<FindEngineOptions, 'dockerHost'>;
  /**
   * The execution providers the user asks for (mlWorkbench.executionProviders, --ep): each that does not
   * load gets a row of its own with how to install it.
   */
  executionProviders?: readonly string[];
  /**
   * The providers to try; default: those onnxruntime-node ships for this platform (cpu, and cuda,
   * tensorrt, dml, coreml, webgpu where they exist).
   */
  probeProviders?: readonly ExecutionProvider[];
  logger: Logger;
  signal?: AbortSignal;
}

/** The modules the report lists for the interpreter. */
const REPORTED_MODULES = ['numpy', 'sklearn', 'torch', 'onnx', 'yaml'];

function run(file: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, signal, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/** The interpreter and each reported module, through the same probe New ML Project runs. */
async function checkPython(python: string, signal?: AbortSignal): Promise<EnvironmentCheck[]> {
  const check = await checkInterpreter(python, REPORTED_MODULES, { signal, timeoutMs: 30_000 });
  if (check.error) {
    return [
      {
        id: 'python',
        label: 'Python interpreter',
        status: 'missing',
        detail: check.error,
        fix: 'Install Python 3 or set mlWorkbench.pythonPath to an interpreter.',
      },
    ];
  }
  const executable = check.executable ?? python;
  const checks: EnvironmentCheck[] = [
    { id: 'python', label: 'Python interpreter', status: 'ok', detail: `${executable} (Python ${check.pythonVersion})` },
  ];
  for (const mod of REPORTED_MODULES) {
    const label = `Python package ${mod}`;
    const packages = MODULE_PACKAGES[mod];
    const why = check.missing.find((m) => m.module === mod)?.error;
    checks.push(
      mod in check.found
        ? { id: `python.${mod}`, label, status: 'ok', detail: check.found[mod] || '?' }
        : {
            id: `python.${mod}`,
            label,
            status: 'warning',
            detail: `not importable by ${executable}${why ? ` (${why})` : ''}`,
            fix: `pip install ${packages.pip}  (Debian: apt-get install ${packages.debian})`,
          },
    );
  }
  return checks;
}

/**
 * onnxruntime-node and the execution providers that really load here: each candidate gets a session of a tiny
 * model (probeExecutionProvider). The row lists which load and which do not; a provider the user asks for that
 * does not load gets a warning row of its own, with how to install it.
 */
async function checkOnnxRuntime(requested: readonly string[], candidates: readonly ExecutionProvider[]): Promise<EnvironmentCheck[]> {
  const label = 'ONNX Runtime (onnxruntime-node)';
  let version: string;
  try {
    version = ortVersion();
  } catch (e) {
    return [
      {
        id: 'onnxruntime',
        label,
        status: 'missing',
        detail: (e as Error).message.split('\n')[0],
        fix: 'Reinstall the extension package built for this platform.',
      },
    ];
  }
  const wanted = requested.filter(isExecutionProvider);
  const probes = await probeExecutionProviders([...new Set<ExecutionProvider>(['cpu', ...candidates, ...wanted])]);
  const loading = probes.filter((p) => p.loads).map((p) => p.provider);
  const failing = probes.flatMap((p) => (p.loads ? [] : [p.error]));
  const detail = `${version}; execution providers that load: ${loading.join(', ') || 'none'}${failing.length ? `; that do not load here: ${failing.map((f) => f.provider).join(', ')}` : ''}`;
  const checks: EnvironmentCheck[] = [
    loading.includes('cpu')
      ? { id: 'onnxruntime', label, status: 'ok', detail }
      : { id: 'onnxruntime', label, status: 'missing', detail, fix: 'Reinstall the extension package built for this platform.' },
  ];
  // One row per wanted provider that does not load; the others are only named in the detail.
  for (const f of failing) {
    if (f.provider === 'cpu' || !(wanted as readonly string[]).includes(f.provider)) continue;
    checks.push({
      id: `onnxruntime.${f.provider}`,
      label: `Execution provider ${f.provider}`,
      status: 'warning',
      detail: `does not load: ${f.reason}`,
      fix: `${installHint(f.provider, ortInstallScript()).replace(/^./, (c) => c.toUpperCase())}.`,
    });
  }
  return checks;
}

/** The engine the extension would use (findEngine: setting, DOCKER_HOST, context, default and Podman sockets), and its version. */
async function checkDocker(
  host: string | undefined,
  discovery: Omit<FindEngineOptions, 'dockerHost'> | undefined,
): Promise<EnvironmentCheck> {
  const fix = 'Start Docker (or Podman) or set mlWorkbench.docker.host.';
  let endpoint: EngineEndpoint;
  try {
    endpoint = await findEngine({ env: process.env, ...discovery, dockerHost: host || undefined });
  } catch (e) {
    // The list of what was tried, without the error's own advice: the fix line gives it.
    const detail = e instanceof EngineUnavailableError ? `No engine answered. Tried: ${e.tried.join('; ')}` : (e as Error).message;
    return { id: 'docker', label: 'Docker Engine', status: 'missing', detail, fix };
  }
  try {
    const v = await engineVersion(endpoint);
    const detail = `${v.Version ?? '?'} (API ${v.ApiVersion ?? '?'}, ${v.Os ?? '?'}/${v.Arch ?? '?'}) at ${endpoint.description} (${endpoint.source})`;
    if (host && endpoint.source !== 'setting') {
      return {
        id: 'docker',
        label: 'Docker Engine',
        status: 'warning',
        detail: `${detail}; the engine of mlWorkbench.docker.host (${host}) did not answer`,
        fix,
      };
    }
    return { id: 'docker', label: 'Docker Engine', status: 'ok', detail };
  } catch (e) {
    return {
      id: 'docker',
      label: 'Docker Engine',
      status: 'missing',
      detail: `no answer from ${endpoint.description}: ${(e as Error).message}`,
      fix,
    };
  }
}

async function checkGit(signal?: AbortSignal): Promise<EnvironmentCheck> {
  try {
    const { stdout } = await run('git', ['--version'], 10_000, signal);
    return { id: 'git', label: 'Git', status: 'ok', detail: stdout.trim() };
  } catch {
    return {
      id: 'git',
      label: 'Git',
      status: 'warning',
      detail: 'git not found on PATH: runs will not record commits',
      fix: 'Install git.',
    };
  }
}

/** Probes what ML Workbench depends on; each probe is bounded in time and never throws. */
export async function checkEnvironment(opts: EnvironmentOptions): Promise<EnvironmentReport> {
  const python = opts.python || 'python3';
  opts.logger.info(`Checking environment (python: ${python})`);
  const node: EnvironmentCheck = {
    id: 'node',
    label: 'Node.js runtime',
    status: 'ok',
    detail: `${process.version} (${process.platform}-${process.arch})`,
  };
  const [pythonChecks, docker, git, onnxruntime] = await Promise.all([
    checkPython(python, opts.signal),
    checkDocker(opts.dockerHost, opts.dockerDiscovery),
    checkGit(opts.signal),
    checkOnnxRuntime(opts.executionProviders ?? [], opts.probeProviders ?? platformExecutionProviders()),
  ]);
  const checks = [node, ...onnxruntime, ...pythonChecks, docker, git];
  for (const c of checks) if (c.status !== 'ok') opts.logger.warn(`${c.label}: ${c.detail}`);
  return { generatedAt: new Date().toISOString(), checks };
}
