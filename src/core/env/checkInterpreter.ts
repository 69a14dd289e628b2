import { execFile } from 'node:child_process';

/** pip and Debian package names of the modules the templates import. */
export const MODULE_PACKAGES: Record<string, { pip: string; debian: string }> = {
  torch: { pip: 'torch', debian: 'python3-torch' },
  sklearn: { pip: 'scikit-learn', debian: 'python3-sklearn' },
  numpy: { pip: 'numpy', debian: 'python3-numpy' },
  yaml: { pip: 'PyYAML', debian: 'python3-yaml' },
  onnx: { pip: 'onnx', debian: 'python3-onnx' },
  pytest: { pip: 'pytest', debian: 'python3-pytest' },
};

export interface InterpreterCheck {
  interpreter: string;
  /** False when the interpreter could not be run at all (see `error`) or a module is missing. */
  ok: boolean;
  /** e.g. "3.11.2"; undefined when the interpreter did not run. */
  pythonVersion?: string;
  /** sys.executable: the interpreter's own path (a bare name or a venv shim resolved); undefined when it did not run. */
  executable?: string;
  /** Module -> version ("" when the module has no __version__). */
  found: Record<string, string>;
  /** Modules that failed to import, with the first line of the error. */
  missing: Array<{ module: string; error: string }>;
  /** Why the interpreter could not be run. */
  error?: string;
  /** What to do about it, one line each: exact commands to install what is missing. */
  advice: string[];
}

const PROBE = `
import importlib, json, sys
out = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable, "found": {}, "missing": {}}
for name in sys.argv[1:]:
    try:
        m = importlib.import_module(name)
        out["found"][name] = str(getattr(m, "__version__", ""))
    except Exception as e:
        out["missing"][name] = ("%s: %s" % (type(e).__name__, e)).splitlines()[0][:300]
print("MLW-PROBE " + json.dumps(out))
`;

/** The install commands for `modules` (import names), for pip and for Debian/Ubuntu's packages. */
export function installAdvice(interpreter: string, modules: string[], requirementsFile = 'requirements.txt'): string[] {
  if (modules.length === 0) return [];
  const pip = modules.map((m) => MODULE_PACKAGES[m]?.pip ?? m);
  const debian = modules.map((m) => MODULE_PACKAGES[m]?.debian ?? `python3-${m}`);
  return [
    `${interpreter} -m pip install -r ${requirementsFile}   (or: ${interpreter} -m pip install ${pip.join(' ')})`,
    `Debian/Ubuntu system Python: sudo apt install ${debian.join(' ')}`,
  ];
}

/**
 * Runs `interpreter` with a tiny script that imports each module and reports versions. Never
 * throws: a missing interpreter, a crash or a timeout is reported in `error` with advice.
 */
export function checkInterpreter(
  interpreter: string,
  modules: string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<InterpreterCheck> {
  const base = { interpreter, found: {}, missing: [], advice: [] };
  return new Promise((resolve) => {
    execFile(
      interpreter,
      ['-c', PROBE, ...modules],
      {
        timeout: options.timeoutMs ?? 120_000,
        signal: options.signal,
        maxBuffer: 1 << 20,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('MLW-PROBE '));
        if (!line) {
          const code = (err as NodeJS.ErrnoException | null)?.code;
          const why =
            code === 'ENOENT'
              ? `${interpreter} was not found`
              : code === 'EACCES'
                ? `${interpreter} is not executable`
                : err?.killed
                  ? `${interpreter} did not answer within ${(options.timeoutMs ?? 120_000) / 1000} s`
                  : `${interpreter} failed: ${(stderr || err?.message || 'no output').trim().split('\n').pop()}`;
          resolve({
            ...base,
            ok: false,
            error: why,
            advice: [
              'Install Python 3 (Debian/Ubuntu: sudo apt install python3), or pick another interpreter (the mlWorkbench.pythonPath setting, or --python).',
            ],
          });
          return;
        }
        const data = JSON.parse(line.slice('MLW-PROBE '.length)) as {
          python: string;
          executable: string;
          found: Record<string, string>;
          missing: Record<string, string>;
        };
        const missing = Object.entries(data.missing).map(([module, error]) => ({ module, error }));
        resolve({
          interpreter,
          ok: missing.length === 0,
          pythonVersion: data.python,
          executable: data.executable || undefined,
          found: data.found,
          missing,
          advice: installAdvice(
            interpreter,
            missing.map((m) => m.module),
          ),
        });
      },
    );
  });
}

/** One paragraph for a message box or a terminal: what is missing and how to install it. */
export function describeInterpreterCheck(check: InterpreterCheck): string {
  if (check.error) return `${check.error}. ${check.advice.join(' ')}`;
  if (check.ok)
    return `${check.interpreter} (Python ${check.pythonVersion}) has ${Object.entries(check.found)
      .map(([m, v]) => (v ? `${m} ${v}` : m))
      .join(', ')}.`;
  const names = check.missing.map((m) => m.module).join(', ');
  return `${check.interpreter} (Python ${check.pythonVersion}) is missing ${names}. Install with: ${check.advice.join(' — ')}`;
}
