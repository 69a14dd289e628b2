import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { EnvironmentCheck, EnvironmentReport } from '../../shared/protocol';
import type { Logger } from '../logger';

export interface EnvironmentOptions {
  /** Python interpreter to probe; `python3` on PATH when empty. */
  python?: string;
  /** Docker socket path or DOCKER_HOST value; process.env.DOCKER_HOST or the default socket when empty. */
  dockerHost?: string;
  logger: Logger;
  signal?: AbortSignal;
}

const PYTHON_PROBE = [
  'import importlib, json, sys',
  'mods = {}',
  "for m in ('numpy', 'sklearn', 'torch', 'onnx', 'yaml'):",
  '    try:',
  '        mods[m] = getattr(importlib.import_module(m), "__version__", "?")',
  '    except Exception:',
  '        mods[m] = None',
  "print(json.dumps({'version': sys.version.split()[0], 'executable': sys.executable, 'modules': mods}))",
].join('\n');

function run(file: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, signal, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

async function checkPython(python: string, signal?: AbortSignal): Promise<EnvironmentCheck[]> {
  try {
    const { stdout } = await run(python, ['-c', PYTHON_PROBE], 30_000, signal);
    const info = JSON.parse(stdout) as { version: string; executable: string; modules: Record<string, string | null> };
    const checks: EnvironmentCheck[] = [
      { id: 'python', label: 'Python interpreter', status: 'ok', detail: `${info.executable} (Python ${info.version})` },
    ];
    const hints: Record<string, string> = {
      numpy: 'pip install numpy  (Debian: apt-get install python3-numpy)',
      sklearn: 'pip install scikit-learn  (Debian: apt-get install python3-sklearn)',
      torch: 'pip install torch  (Debian: apt-get install python3-torch)',
      onnx: 'pip install onnx  (Debian: apt-get install python3-onnx)',
      yaml: 'pip install pyyaml  (Debian: apt-get install python3-yaml)',
    };
    for (const [mod, version] of Object.entries(info.modules)) {
      checks.push(
        version
          ? { id: `python.${mod}`, label: `Python package ${mod}`, status: 'ok', detail: version }
          : { id: `python.${mod}`, label: `Python package ${mod}`, status: 'warning', detail: `not importable by ${info.executable}`, fix: hints[mod] },
      );
    }
    return checks;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const detail = err.code === 'ENOENT' ? `interpreter not found: ${python}` : `could not run ${python}: ${err.message.split('\n')[0]}`;
    return [{ id: 'python', label: 'Python interpreter', status: 'missing', detail, fix: 'Install Python 3 or set mlWorkbench.pythonPath to an interpreter.' }];
  }
}

function checkOnnxRuntime(): EnvironmentCheck {
  try {
    // Loaded lazily: the native addon costs time, and only this check and inference need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as { env: { versions?: Record<string, string> }; listSupportedBackends?: () => { name: string; bundled?: boolean }[] };
    const version = ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
    const backends = ort.listSupportedBackends?.().filter((b) => b.bundled !== false).map((b) => b.name).join(', ') ?? 'cpu';
    return { id: 'onnxruntime', label: 'ONNX Runtime (onnxruntime-node)', status: 'ok', detail: `${version}; execution providers: ${backends}` };
  } catch (e) {
    return {
      id: 'onnxruntime', label: 'ONNX Runtime (onnxruntime-node)', status: 'missing',
      detail: (e as Error).message.split('\n')[0], fix: 'Reinstall the extension package built for this platform.',
    };
  }
}

/** Where the engine listens: a unix socket path or a tcp host:port, from the setting, DOCKER_HOST or the default socket. */
function dockerEndpoint(host: string | undefined): { where: string; socketPath?: string; host?: string; port?: number } {
  const where = host || process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (where.startsWith('unix://')) return { where, socketPath: where.slice('unix://'.length) };
  const m = /^tcp:\/\/([^:/]+):(\d+)/.exec(where);
  return m ? { where, host: m[1], port: Number(m[2]) } : { where };
}

/** GET /version from the Engine API over plain HTTP: the full Docker client is not needed for a ping. */
function engineVersion(ep: { socketPath?: string; host?: string; port?: number }, signal?: AbortSignal): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: ep.socketPath, host: ep.host, port: ep.port, path: '/version', timeout: 3000, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
          resolve(JSON.parse(body) as Record<string, string>);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 3 s')));
    req.on('error', reject);
  });
}

async function checkDocker(host: string | undefined, signal?: AbortSignal): Promise<EnvironmentCheck> {
  const ep = dockerEndpoint(host);
  const fix = 'Start Docker (or Podman) or set mlWorkbench.docker.host.';
  if (ep.socketPath && !existsSync(ep.socketPath)) {
    return { id: 'docker', label: 'Docker Engine', status: 'missing', detail: `no engine socket at ${ep.socketPath}`, fix };
  }
  if (!ep.socketPath && !ep.host) {
    return { id: 'docker', label: 'Docker Engine', status: 'warning', detail: `${ep.where}: only unix:// and tcp:// addresses are checked here`, fix };
  }
  try {
    const v = await engineVersion(ep, signal);
    return { id: 'docker', label: 'Docker Engine', status: 'ok', detail: `${v.Version ?? '?'} (API ${v.ApiVersion ?? '?'}, ${v.Os ?? '?'}/${v.Arch ?? '?'}) at ${ep.where}` };
  } catch (e) {
    return { id: 'docker', label: 'Docker Engine', status: 'missing', detail: `no answer from ${ep.where}: ${(e as Error).message}`, fix };
  }
}

async function checkGit(signal?: AbortSignal): Promise<EnvironmentCheck> {
  try {
    const { stdout } = await run('git', ['--version'], 10_000, signal);
    return { id: 'git', label: 'Git', status: 'ok', detail: stdout.trim() };
  } catch {
    return { id: 'git', label: 'Git', status: 'warning', detail: 'git not found on PATH: runs will not record commits', fix: 'Install git.' };
  }
}

/** Probes what ML Workbench depends on; each probe is bounded in time and never throws. */
export async function checkEnvironment(opts: EnvironmentOptions): Promise<EnvironmentReport> {
  const python = opts.python || 'python3';
  opts.logger.info(`Checking environment (python: ${python})`);
  const node: EnvironmentCheck = { id: 'node', label: 'Node.js runtime', status: 'ok', detail: `${process.version} (${process.platform}-${process.arch})` };
  const [pythonChecks, docker, git] = await Promise.all([
    checkPython(python, opts.signal),
    checkDocker(opts.dockerHost, opts.signal),
    checkGit(opts.signal),
  ]);
  const checks = [node, checkOnnxRuntime(), ...pythonChecks, docker, git];
  for (const c of checks) if (c.status !== 'ok') opts.logger.warn(`${c.label}: ${c.detail}`);
  return { generatedAt: new Date().toISOString(), checks };
}
