/**
 * Exports a PyTorch file to ONNX by running the user's interpreter on the export script (exportScript.ts), its
 * parameters in a JSON file: an argument vector, never a shell string, and no user text in the Python source. The
 * model is written to a temporary file beside the output and renamed into place only when the export succeeded, so a
 * failed or cancelled export leaves no partial file (and an existing file is replaced only when asked).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { killProcessGroup } from '../runs/killProcessGroup';
import { ERROR_MARKER, EXPORT_SCRIPT, RESULT_MARKER } from './exportScript';
import { ExportError, type ExportErrorKind } from './exportError';
import { completeRequest, scriptParams, type ExportKind, type ExportRequest } from './exportParams';

export interface ExportTensor {
  name: string;
  shape: number[];
  dtype: string;
}

export interface ExportResult {
  /** The .onnx file written. */
  output: string;
  file: string;
  kind: ExportKind;
  interpreter: string;
  opset: number;
  /** torch.__version__ of the interpreter. */
  torch: string;
  /** The sample inputs the model was traced with, and torch's outputs on them. */
  inputs: ExportTensor[];
  outputs: ExportTensor[];
  /** Tensor name -> axis -> label. */
  dynamicAxes: Record<string, Record<string, string>>;
  seconds: number;
}

export interface ExportOptions {
  /** The interpreter's absolute path (see resolveInterpreter). */
  interpreter: string;
  /** Replace an existing output file. */
  overwrite?: boolean;
  /** Aborting kills the interpreter and its children; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Each line the script and torch print (not the result line). */
  onOutput?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const exists = (file: string): Promise<boolean> =>
  fsp.stat(file).then(
    () => true,
    () => false,
  );

function abortError(): Error {
  const e = new Error('The export was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Splits a stream into lines, handing each to `onLine`. */
function lineSplitter(onLine: (line: string) => void): { write(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return {
    write(chunk) {
      const lines = (rest + decoder.write(chunk)).split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    },
    end() {
      const last = rest + decoder.end();
      if (last) onLine(last);
    },
  };
}

export async function exportToOnnx(request: ExportRequest, options: ExportOptions): Promise<ExportResult> {
  const started = Date.now();
  const req = completeRequest(request);
  if (!(await exists(req.file))) throw new ExportError('load-failed', `no such file: ${req.file}`);
  if (!options.overwrite && (await exists(req.output)))
    throw new ExportError('exists', `${req.output} exists; choose another output or allow replacing it`);
  if (options.signal?.aborted) throw abortError();
  await fsp.mkdir(path.dirname(req.output), { recursive: true });
  const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mlw-export-'));
  const partial = path.join(path.dirname(req.output), `.${path.basename(req.output)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    const script = path.join(tmpDir, 'mlw_export_onnx.py');
    const paramsFile = path.join(tmpDir, 'params.json');
    await fsp.writeFile(script, EXPORT_SCRIPT);
    await fsp.writeFile(paramsFile, JSON.stringify(scriptParams(req, partial), null, 2));
    const base = options.env ?? process.env;
    const env: NodeJS.ProcessEnv = {
      ...base,
      PYTHONPATH: base.PYTHONPATH ? `${req.workspace}${path.delimiter}${base.PYTHONPATH}` : req.workspace,
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const outcome = await runScript(options.interpreter, [script, paramsFile], req.workspace, env, options);
    if (outcome.error?.kind === 'torch-missing')
      throw new ExportError(
        'torch-missing',
        `torch is not installed for ${options.interpreter}: install it (${options.interpreter} -m pip install torch, or apt install python3-torch for Debian's python3) or use an interpreter that has it`,
      );
    if (outcome.error) throw new ExportError(outcome.error.kind, outcome.error.message);
    if (!outcome.result) {
      const why = outcome.spawnError ?? outcome.lastLine ?? `exit code ${outcome.code ?? outcome.signal}`;
      throw new ExportError('export-failed', `the export script failed: ${why}`);
    }
    if (!(await exists(partial))) throw new ExportError('export-failed', 'torch.onnx.export wrote no file');
    await fsp.rename(partial, req.output);
    const r = outcome.result as Omit<ExportResult, 'output' | 'file' | 'kind' | 'interpreter' | 'opset' | 'seconds'>;
    return {
      output: req.output,
      file: req.file,
      kind: req.kind,
      interpreter: options.interpreter,
      opset: req.opset,
      torch: r.torch,
      inputs: r.inputs,
      outputs: r.outputs,
      dynamicAxes: r.dynamicAxes,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await fsp.rm(partial, { force: true }).catch(() => undefined);
    await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface ScriptOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  result?: unknown;
  error?: { kind: ExportErrorKind; message: string };
  spawnError?: string;
  /** The last line printed on stderr, for a script that died without reporting. */
  lastLine?: string;
}

const ERROR_KINDS: readonly string[] = [
  'torch-missing',
  'class-not-importable',
  'constructor-failed',
  'load-failed',
  'state-dict-mismatch',
  'shape-mismatch',
  'export-failed',
  'bad-parameter',
];

function runScript(interpreter: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, o: ExportOptions): Promise<ScriptOutcome> {
  return new Promise((resolve, reject) => {
    const outcome: ScriptOutcome = { code: null, signal: null };
    const child = spawn(interpreter, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32', // its own process group: cancelling reaches what torch started
      windowsHide: true,
    });
    const emit = (line: string): void => {
      try {
        o.onOutput?.(line);
      } catch {
        /* a failing listener does not stop the export */
      }
    };
    const stdout = lineSplitter((line) => {
      if (line.startsWith(RESULT_MARKER)) outcome.result = safeJson(line.slice(RESULT_MARKER.length));
      else if (line.startsWith(ERROR_MARKER)) {
        const e = safeJson(line.slice(ERROR_MARKER.length)) as { kind?: unknown; message?: unknown } | undefined;
        const kind = typeof e?.kind === 'string' && ERROR_KINDS.includes(e.kind) ? (e.kind as ExportErrorKind) : 'export-failed';
        outcome.error = { kind, message: typeof e?.message === 'string' ? e.message : 'the export script failed' };
      } else emit(line);
    });
    const stderr = lineSplitter((line) => {
      if (line.trim()) outcome.lastLine = line.trim();
      emit(line);
    });
    child.stdout.on('data', (c: Buffer) => stdout.write(c));
    child.stderr.on('data', (c: Buffer) => stderr.write(c));
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      aborted = true;
      killProcessGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killProcessGroup(child, 'SIGKILL'), 2000);
      killTimer.unref();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (): void => {
      settled = true;
      clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      outcome.spawnError = e.code === 'ENOENT' ? `cannot start ${interpreter}: not found` : e.message;
      if (child.pid === undefined && !settled) {
        finish();
        reject(new ExportError('interpreter-not-found', `Python interpreter not found: ${interpreter}`));
      }
    });
    child.once('close', (code, signal) => {
      if (settled) return;
      finish();
      stdout.end();
      stderr.end();
      if (aborted) reject(abortError());
      else resolve({ ...outcome, code, signal });
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
