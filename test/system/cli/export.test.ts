/**
 * mlw export, for real: Debian's python3 with python3-torch exports one small CNN saved three ways (a TorchScript
 * archive, a whole pickled module, a state dict plus its class from the workspace); each ONNX file is run in
 * onnxruntime-node on the inputs the fixture script fed torch, in the same process that saved the model, and must give
 * torch's outputs within 1e-4, at batch 1 and, through a dynamic batch axis, at batch 3. The failures (no torch, no
 * interpreter, a wrong class path, a wrong shape, an existing output) each print one line and leave no file behind.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { summarizeModel } from '../../../src/core/onnx';
import { createSession, readNpy } from '../../../src/core/ort';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'pytorch_export_fixtures.py');
const HOW_TO = 'apt-get install python3-torch python3-numpy (or set MLW_TEST_PYTHON)';
const TOLERANCE = 1e-4;

const TINY_NET = `import torch


class TinyNet(torch.nn.Module):
    def __init__(self, classes=10, channels=4):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, channels, 3, padding=1)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(channels, classes)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x))).flatten(1)
        return torch.softmax(self.fc(h), dim=-1)
`;

let workspace: string | undefined;
after(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

let torchStack: boolean | undefined;
const hasTorch = (): boolean => (torchStack ??= existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('numpy'));

/** The workspace with tiny_net.py, the three saved models and the torch truth; made once. */
function fixtures(): string {
  if (workspace) return workspace;
  const dir = mkdtempSync(path.join(tmpdir(), 'mlw-export-test-'));
  writeFileSync(path.join(dir, 'tiny_net.py'), TINY_NET);
  execFileSync(SYSTEM_PYTHON, [FIXTURES, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return (workspace = dir);
}

function mlw(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MLW, '--workspace', fixtures(), 'export', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ready = (t: TestContext): boolean => needs(t, 'python3-torch for /usr/bin/python3', hasTorch(), HOW_TO);
const file = (name: string): string => path.join(fixtures(), name);

/** No .onnx of that name, and no partial file left beside it. */
function assertNoOutput(name: string): void {
  assert.equal(existsSync(file(name)), false, `${name} was written`);
  assert.deepEqual(
    readdirSync(fixtures()).filter((f) => f.endsWith('.partial')),
    [],
    'a partial export was left behind',
  );
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], pattern);
}

/** Runs the ONNX model on xN.npy and compares with torch's yN.npy. */
async function assertMatchesTorch(model: string, batches: number[]): Promise<void> {
  const { session } = await createSession(model);
  try {
    for (const batch of batches) {
      const x = await readNpy(file(`x${batch}.npy`));
      const y = await readNpy(file(`y${batch}.npy`));
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.values as Float32Array, x.shape) });
      const got = out[session.outputNames[0]];
      assert.deepEqual(got.dims, y.shape, `batch ${batch}: output shape`);
      const want = y.values as Float32Array;
      const data = got.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[i] - want[i]));
      assert.ok(worst <= TOLERANCE, `batch ${batch}: max abs difference ${worst} against torch`);
    }
  } finally {
    await session.release();
  }
}

test('mlw export: a TorchScript archive (kind guessed from the file), batch dynamic in every input and output', async (t) => {
  if (!ready(t)) return;
  const r = mlw(
    'scripted.pt',
    '--input-shape',
    '1,3,8,8',
    '--dynamic-axis',
    '0=batch',
    '-o',
    'scripted.onnx',
    '--python',
    SYSTEM_PYTHON,
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { output: string; kind: string; opset: number; outputs: { name: string; shape: number[] }[] };
  assert.equal(result.kind, 'torchscript');
  assert.equal(result.output, file('scripted.onnx'));
  assert.equal(result.opset, 17);
  assert.deepEqual(result.outputs, [{ name: 'output', shape: [1, 3], dtype: 'float32' }]);
  const summary = await summarizeModel(file('scripted.onnx'));
  assert.deepEqual(
    summary.inputs.map((v) => [v.name, v.shape]),
    [['input', ['batch', 3, 8, 8]]],
  );
  assert.deepEqual(
    summary.outputs.map((v) => [v.name, v.shape]),
    [['output', ['batch', 3]]],
  );
  assert.ok(summary.opsetImports.some((o) => o.domain === 'ai.onnx' && o.version === 17));
  await assertMatchesTorch(file('scripted.onnx'), [1, 3]);
});

test('mlw export: a whole pickled module (--kind module), named tensors, dynamic axes by name, opset 13', async (t) => {
  if (!ready(t)) return;
  const r = mlw(
    'whole.pt',
    '--kind',
    'module',
    '--input-shape',
    '1,3,8,8',
    '--input-name',
    'image',
    '--output-name',
    'probs',
    '--dynamic-axis',
    'image:0=n',
    '--dynamic-axis',
    'probs:0=n',
    '--opset',
    '13',
    '-o',
    'whole.onnx',
    '--python',
    SYSTEM_PYTHON,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Exported whole\.pt \(module\) to whole\.onnx in [\d.]+ s \(torch .*, opset 13\)/);
  assert.match(r.stdout, /dynamic: image:0=n, probs:0=n/);
  const summary = await summarizeModel(file('whole.onnx'));
  assert.deepEqual(
    summary.inputs.map((v) => [v.name, v.shape]),
    [['image', ['n', 3, 8, 8]]],
  );
  assert.deepEqual(
    summary.outputs.map((v) => [v.name, v.shape]),
    [['probs', ['n', 3]]],
  );
  assert.ok(summary.opsetImports.some((o) => o.domain === 'ai.onnx' && o.version === 13));
  await assertMatchesTorch(file('whole.onnx'), [1, 3]);
});

test('mlw export: a state dict loaded into module:Class from the workspace with constructor kwargs', async (t) => {
  if (!ready(t)) return;
  const r = mlw(
    'weights.pth',
    '--class',
    'tiny_net:TinyNet',
    '--kwargs',
    '{"classes": 3}',
    '--input-shape',
    '1,3,8,8',
    '--python',
    SYSTEM_PYTHON,
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { output: string; kind: string; dynamicAxes: object };
  assert.equal(result.kind, 'state-dict');
  assert.equal(result.output, file('weights.onnx'), 'the default output is NAME.onnx beside the file');
  assert.deepEqual(result.dynamicAxes, {});
  const summary = await summarizeModel(file('weights.onnx'));
  assert.deepEqual(
    summary.inputs.map((v) => [v.name, v.shape]),
    [['input', [1, 3, 8, 8]]],
    'no dynamic axis asked: the batch is fixed',
  );
  await assertMatchesTorch(file('weights.onnx'), [1]);

  // An existing output is not replaced without --force, and is left as it was.
  const before = statSync(file('weights.onnx')).mtimeMs;
  const again = mlw(
    'weights.pth',
    '--class',
    'tiny_net:TinyNet',
    '--kwargs',
    '{"classes": 3}',
    '--input-shape',
    '1,3,8,8',
    '--python',
    SYSTEM_PYTHON,
  );
  assert.equal(again.status, 1);
  assertOneLine(again.stderr, /^mlw export: .*weights\.onnx exists; .*--force replaces it/);
  assert.equal(statSync(file('weights.onnx')).mtimeMs, before);
  const forced = mlw(
    'weights.pth',
    '--class',
    'tiny_net:TinyNet',
    '--kwargs',
    '{"classes": 3}',
    '--input-shape',
    '1,3,8,8',
    '--python',
    SYSTEM_PYTHON,
    '--force',
  );
  assert.equal(forced.status, 0, forced.stderr);
});

/** A failure: exit status, the one stderr line (when the case names one), and no output file. */
interface Failure {
  title: string;
  /** The arguments before `-o OUTPUT --python PYTHON`. */
  args: string[];
  output: string;
  python?: string;
  status: number;
  stderr?: RegExp;
  why?: string;
}

const FAILURES: Failure[] = [
  {
    title: 'a pickled module is never unpickled without --kind module',
    args: ['whole.pt', '--input-shape', '1,3,8,8'],
    output: 'guessed.onnx',
    status: 2,
    stderr: /whole\.pt looks like a whole pickled module \(tiny_net\.TinyNet.*pass --kind module to unpickle it, which runs code/,
  },
  {
    title: 'an interpreter that does not exist gives one line',
    args: ['scripted.pt', '--input-shape', '1,3,8,8'],
    output: 'nopython.onnx',
    python: '/nonexistent/bin/python3',
    status: 1,
    stderr: /^mlw export: Python interpreter not found: \/nonexistent\/bin\/python3; pass --python PATH/,
  },
  {
    title: 'a class the module does not have gives one line naming it, and no file',
    args: ['weights.pth', '--class', 'tiny_net:Nope', '--input-shape', '1,3,8,8'],
    output: 'noclass.onnx',
    status: 1,
    stderr: /^mlw export: module tiny_net has no Nope$/,
  },
  {
    title: 'a module that does not import gives one line naming it, and no file',
    args: ['weights.pth', '--class', 'no_such_models:Net', '--input-shape', '1,3,8,8'],
    output: 'nomodule.onnx',
    status: 1,
    stderr: /^mlw export: cannot import no_such_models: ModuleNotFoundError: No module named 'no_such_models'$/,
  },
  {
    title: 'a malformed class path is a usage error, and no file',
    args: ['weights.pth', '--class', 'tiny_net.TinyNet', '--input-shape', '1,3,8,8'],
    output: 'syntax.onnx',
    status: 2,
    why: 'a malformed class path is a usage error',
  },
  {
    title: 'a wrong input shape gives torch’s last line, and no file',
    args: ['scripted.pt', '--input-shape', '1,4,8,8'],
    output: 'badshape.onnx',
    status: 1,
    stderr: /^mlw export: the model does not run on inputs of shape 1,4,8,8 float32: .*(channels|size)/,
  },
  {
    // 10 classes by default, 3 saved.
    title: 'a state dict that does not fit the constructor’s arguments gives one line, and no file',
    args: ['weights.pth', '--class', 'tiny_net:TinyNet', '--input-shape', '1,3,8,8'],
    output: 'misfit.onnx',
    status: 1,
    stderr: /^mlw export: the state dict does not fit tiny_net:TinyNet: .*size mismatch for fc\.weight/,
  },
];

for (const f of FAILURES) {
  test(`mlw export: ${f.title}`, (t) => {
    if (!ready(t)) return;
    const r = mlw(...f.args, '-o', f.output, '--python', f.python ?? SYSTEM_PYTHON);
    assert.equal(r.status, f.status, f.why ?? r.stderr);
    if (f.stderr) assertOneLine(r.stderr, f.stderr);
    assertNoOutput(f.output);
  });
}

/** An interpreter that runs but has no torch: python3 on PATH when it lacks torch (a pyenv one here), else none. */
function pythonWithoutTorch(): string | undefined {
  for (const candidate of ['python3', 'python']) {
    try {
      const exe = execFileSync(candidate, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 30_000 }).trim();
      const r = spawnSync(candidate, ['-c', 'import torch'], { timeout: 60_000 });
      if (exe && r.status !== 0) return execFileSync('which', [candidate], { encoding: 'utf8' }).trim();
    } catch {
      /* not there */
    }
  }
  return undefined;
}

test('mlw export: an interpreter without torch gives one line saying how to install it, and no file', (t) => {
  if (!ready(t)) return;
  const python = pythonWithoutTorch();
  if (!python) {
    // No torch-less Python here: simulate with an interpreter that does not exist (the next test's case).
    t.diagnostic('no Python without torch on this machine: simulated with an interpreter path that does not exist');
  }
  const r = mlw('scripted.pt', '--input-shape', '1,3,8,8', '-o', 'notorch.onnx', '--python', python ?? '/nonexistent/bin/python3');
  assert.equal(r.status, 1);
  if (python)
    assertOneLine(
      r.stderr,
      /^mlw export: torch is not installed for .*: install it \(.* -m pip install torch, or apt install python3-torch.*--python PATH/,
    );
  else assertOneLine(r.stderr, /^mlw export: Python interpreter not found/);
  assertNoOutput('notorch.onnx');
});

test('mlw export: no file left when the export itself fails (an opset torch cannot write)', (t) => {
  if (!ready(t)) return;
  const r = mlw('scripted.pt', '--input-shape', '1,3,8,8', '--opset', '21', '-o', 'opset.onnx', '--python', SYSTEM_PYTHON);
  if (r.status === 0) {
    t.diagnostic('this torch writes opset 21: nothing to check');
    return;
  }
  assert.equal(r.status, 1);
  assertOneLine(r.stderr, /^mlw export: torch\.onnx\.export failed: /);
  assertNoOutput('opset.onnx');
});
