/**
 * The process side of exportToOnnx with stand-in interpreters (shell scripts): the script and its JSON reach the
 * interpreter as arguments, reported errors keep their kind, a script dying without a report is an export failure
 * with its last line, cancelling kills the interpreter's whole process group, and no partial file is left.
 * The real exports, with torch, are in test/system/cli/export.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exportToOnnx, isExportError, EXPORT_SCRIPT, type ExportRequest } from '../../../src/core/export';

const dir = mkdtempSync(path.join(tmpdir(), 'mlw-export-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'm.pt'), 'not really a model');

function fakePython(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const request = (output: string): ExportRequest => ({
  file: path.join(dir, 'm.pt'),
  kind: 'torchscript',
  inputs: [{ shape: [1, 4], dtype: 'float32' }],
  output: path.join(dir, output),
  workspace: dir,
});

const partials = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.partial'));

test('the interpreter gets the script file and the params file; the result line comes back, the model is moved into place', async () => {
  const seen = path.join(dir, 'seen');
  // Copies what it was given, writes the "model" to the params' output, and reports.
  const python = fakePython(
    'ok.sh',
    `cp "$1" "${seen}.py"; cp "$2" "${seen}.json"
out=$(sed -n 's/.*"output": "\\(.*\\)".*/\\1/p' "$2")
echo model > "$out"
echo "torch-like noise"
echo 'MLW-EXPORT-RESULT {"torch":"9.9","inputs":[{"name":"input","shape":[1,4],"dtype":"float32"}],"outputs":[],"dynamicAxes":{}}'`,
  );
  const lines: string[] = [];
  const result = await exportToOnnx(request('ok.onnx'), { interpreter: python, onOutput: (l) => lines.push(l) });
  assert.equal(result.output, path.join(dir, 'ok.onnx'));
  assert.equal(result.torch, '9.9');
  assert.equal(readFileSync(path.join(dir, 'ok.onnx'), 'utf8'), 'model\n');
  assert.deepEqual(lines, ['torch-like noise']);
  assert.equal(readFileSync(`${seen}.py`, 'utf8'), EXPORT_SCRIPT);
  const params = JSON.parse(readFileSync(`${seen}.json`, 'utf8')) as { output: string; workspace: string };
  assert.match(path.basename(params.output), /^\.ok\.onnx\.[0-9a-f]{8}\.partial$/);
  assert.equal(params.workspace, dir);
  assert.deepEqual(partials(), []);

  // The output now exists: not replaced without overwrite.
  await assert.rejects(exportToOnnx(request('ok.onnx'), { interpreter: python }), (e: unknown) => isExportError(e) && e.kind === 'exists');
  await exportToOnnx(request('ok.onnx'), { interpreter: python, overwrite: true });
});

test('a reported error keeps its kind and message, and removes what was written', async () => {
  const python = fakePython(
    'err.sh',
    `out=$(sed -n 's/.*"output": "\\(.*\\)".*/\\1/p' "$2"); echo half > "$out"
echo 'MLW-EXPORT-ERROR {"kind":"shape-mismatch","message":"the model does not run on inputs of shape 1,4 float32: boom"}'; exit 1`,
  );
  await assert.rejects(
    exportToOnnx(request('err.onnx'), { interpreter: python }),
    (e: unknown) => isExportError(e) && e.kind === 'shape-mismatch' && /boom$/.test(e.message),
  );
  assert.equal(existsSync(path.join(dir, 'err.onnx')), false);
  assert.deepEqual(partials(), []);
});

test('torch missing is told with the interpreter and how to install it', async () => {
  const python = fakePython('notorch.sh', `echo 'MLW-EXPORT-ERROR {"kind":"torch-missing","message":"ModuleNotFoundError"}'; exit 1`);
  await assert.rejects(
    exportToOnnx(request('nt.onnx'), { interpreter: python }),
    (e: unknown) => isExportError(e) && e.kind === 'torch-missing' && e.message.includes(`${python} -m pip install torch`),
  );
});

test('a script that dies without reporting is an export failure with its last line; a missing interpreter is told', async () => {
  const python = fakePython('crash.sh', `echo "Traceback..." >&2; echo "Segmentation fault" >&2; exit 139`);
  await assert.rejects(
    exportToOnnx(request('crash.onnx'), { interpreter: python }),
    (e: unknown) => isExportError(e) && e.kind === 'export-failed' && /Segmentation fault$/.test(e.message),
  );
  await assert.rejects(
    exportToOnnx(request('none.onnx'), { interpreter: path.join(dir, 'no-such-python') }),
    (e: unknown) => isExportError(e) && e.kind === 'interpreter-not-found',
  );
});

test('cancelling kills the interpreter and what it started, and leaves no file', async () => {
  const pidFile = path.join(dir, 'child.pid');
  const python = fakePython(
    'slow.sh',
    `out=$(sed -n 's/.*"output": "\\(.*\\)".*/\\1/p' "$2"); echo half > "$out"
sleep 60 & echo $! > "${pidFile}"; echo started; wait`,
  );
  const controller = new AbortController();
  const started = Date.now();
  const exporting = exportToOnnx(request('slow.onnx'), {
    interpreter: python,
    signal: controller.signal,
    onOutput: (l) => l === 'started' && controller.abort(),
  });
  await assert.rejects(exporting, (e: unknown) => (e as Error).name === 'AbortError');
  assert.ok(Date.now() - started < 10_000, 'cancelled promptly');
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    try {
      process.kill(grandchild, 0);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the sleep the script started was killed with it');
  assert.equal(existsSync(path.join(dir, 'slow.onnx')), false);
  assert.deepEqual(partials(), []);
});
