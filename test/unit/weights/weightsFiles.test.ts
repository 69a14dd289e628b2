/**
 * PyTorch checkpoints written by Debian's python3-torch (a state dict, a nested checkpoint with an optimizer and
 * float16/bfloat16/int8/bool/float64/view tensors, a whole pickled nn.Module, a legacy non-zip file, a TorchScript
 * archive) and safetensors files written from the format spec: every tensor's name, dtype and shape against what
 * Python reports, refusals in one line, and `mlw inspect` on them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { summarizeWeightsFile } from '../../../src/core/weights';
import { loadPickle, PyCall, PyDict, PyGlobal, PyTuple } from '../../../src/core/weights/pickle';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT } from '../onnx/corpus';
import { tempDir, type TempDir } from '../onnx/tempFiles';

const SCRIPT = join(REPO_ROOT, 'test/fixtures/weights_files.py');
const MLW = resolve(REPO_ROOT, 'out/src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000 });

interface FileTruth {
  tensors?: [string, string, number[]][];
  metadata?: Record<string, string>;
  refused?: boolean;
  epoch?: number;
  lr?: number;
}

let dir: TempDir;
let truth: Record<string, FileTruth> = {};
let havePython = false;
before(async () => {
  dir = await tempDir('mlw-weights-');
  havePython = pythonHas('torch') && pythonHas('numpy');
  if (havePython)
    truth = JSON.parse(execFileSync(SYSTEM_PYTHON, [SCRIPT, dir.path], { encoding: 'utf8', timeout: 300_000 })) as Record<
      string,
      FileTruth
    >;
});
after(async () => {
  await dir.remove();
});

const python = (t: TestContext): boolean =>
  needs(t, "Debian's python3-torch and python3-numpy", havePython, 'apt-get install python3-torch python3-numpy');

describe('summarizeWeightsFile', () => {
  for (const file of ['state_dict.pt', 'checkpoint.pth', 'whole_module.pt', 'model.safetensors']) {
    it(`${file}: every tensor's name, dtype and shape as Python reports them`, async (t) => {
      if (!python(t)) return;
      const expected = truth[file].tensors ?? [];
      const s = await summarizeWeightsFile(join(dir.path, file));
      assert.deepEqual(
        s.tensors.map((x) => [x.name, x.dtype, x.shape]),
        expected,
      );
      const elements = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
      assert.equal(
        s.parameterCount,
        expected.reduce((n, [, , shape]) => n + elements(shape), 0),
      );
      assert.equal(
        s.byDtype.reduce((n, d) => n + d.tensors, 0),
        expected.length,
      );
      assert.deepEqual(s.warnings, []);
    });
  }

  it('a nested checkpoint keeps its scalars as metadata; safetensors its __metadata__; a pickled module names its classes', async (t) => {
    if (!python(t)) return;
    const ckpt = await summarizeWeightsFile(join(dir.path, 'checkpoint.pth'));
    assert.equal(ckpt.format, 'pytorch');
    assert.deepEqual(
      ckpt.metadata.find((m) => m.key === 'epoch'),
      { key: 'epoch', value: '3' },
    );
    assert.deepEqual(
      ckpt.metadata.find((m) => m.key === 'optimizer.param_groups.0.lr'),
      {
        key: 'optimizer.param_groups.0.lr',
        value: String(truth['checkpoint.pth'].lr),
      },
    );
    assert.deepEqual(ckpt.globals, []);
    const view = ckpt.tensors.find((x) => x.name === 'extra.view');
    assert.deepEqual(view, { name: 'extra.view', dtype: 'float32', shape: [3], elements: 3, bytes: 12 });
    const st = await summarizeWeightsFile(join(dir.path, 'model.safetensors'));
    assert.equal(st.format, 'safetensors');
    assert.deepEqual(Object.fromEntries(st.metadata.map((m) => [m.key, m.value])), truth['model.safetensors'].metadata);
    assert.deepEqual(
      st.byDtype.find((d) => d.dtype === 'float16'),
      { dtype: 'float16', tensors: 1, elements: 256, bytes: 512 },
    );
    const whole = await summarizeWeightsFile(join(dir.path, 'whole_module.pt'));
    assert.deepEqual(whole.globals, [
      'torch.nn.modules.batchnorm.BatchNorm2d',
      'torch.nn.modules.container.Sequential',
      'torch.nn.modules.conv.Conv2d',
      'torch.nn.modules.flatten.Flatten',
      'torch.nn.modules.linear.Linear',
    ]);
  });

  it('refuses a legacy checkpoint, a TorchScript archive and a broken safetensors header in one line', async (t) => {
    if (!python(t)) return;
    const refusal = async (file: string): Promise<string> => {
      try {
        await summarizeWeightsFile(join(dir.path, file));
      } catch (e) {
        assert.equal((e as Error).name, 'WeightsFormatError');
        return (e as Error).message;
      }
      throw new Error(`${file} was not refused`);
    };
    assert.match(await refusal('legacy.pt'), /is a legacy PyTorch checkpoint \(saved with _use_new_zipfile_serialization=False\)/);
    assert.match(await refusal('scripted.pt'), /is a TorchScript archive \(torch\.jit\.save\)/);
    assert.match(await refusal('broken.safetensors'), /is not a safetensors file: header length 1000000000000 does not fit/);
    for (const file of ['legacy.pt', 'scripted.pt', 'broken.safetensors']) assert.doesNotMatch(await refusal(file), /\n/);
  });
});

describe('loadPickle', () => {
  it('records globals and calls without running them', () => {
    // PROTO 2; GLOBAL 'os system'; BINUNICODE 'echo hi'; TUPLE1; REDUCE; STOP
    const cmd = Buffer.from('echo hi');
    const bytes = Buffer.concat([
      Buffer.from([0x80, 2]),
      Buffer.from('cos\nsystem\n', 'latin1'),
      Buffer.from([0x58, cmd.length, 0, 0, 0]),
      cmd,
      Buffer.from([0x85, 0x52, 0x2e]),
    ]);
    const v = loadPickle(bytes);
    assert.ok(v instanceof PyCall);
    assert.ok(v.func instanceof PyGlobal);
    assert.equal(v.func.qualified, 'os.system');
    assert.deepEqual(v.args, ['echo hi']);
  });

  it('reads what pickle.dumps writes with protocols 2 and 4', () => {
    // {'a': 1, 'b': [2.5, 'x'], 'c': (None, True, -7, 2**70)}, protocol 2; {'a': 1, 'b': [2.5, 'x']}, protocol 4.
    const p2 = loadPickle(
      Buffer.from(
        '80027d71002858010000006171014b0158010000006271025d7103284740040000000000005801000000787104655801000000637105284e884af9ffffff8a09000000000000000040747106752e',
        'hex',
      ),
    );
    assert.ok(p2 instanceof PyDict);
    assert.deepEqual(p2.items.slice(0, 2), [
      ['a', 1],
      ['b', [2.5, 'x']],
    ]);
    const c = p2.items[2][1];
    assert.ok(c instanceof PyTuple);
    assert.deepEqual(c.items, [null, true, -7, 2n ** 70n]);
    const p4 = loadPickle(Buffer.from('80049520000000000000007d94288c0161944b018c0162945d94284740040000000000008c01789465752e', 'hex'));
    assert.ok(p4 instanceof PyDict);
    assert.deepEqual(p4.items, [
      ['a', 1],
      ['b', [2.5, 'x']],
    ]);
  });

  it('fails cleanly on truncated input and unknown opcodes', () => {
    assert.throws(() => loadPickle(Buffer.from([0x80, 2, 0x58, 0xff, 0, 0, 0])), /pickle ends early/);
    assert.throws(() => loadPickle(Buffer.from([0x80, 2, 0xff])), /opcode 0xff at byte 2 is not supported/);
  });
});

describe('mlw inspect on weights files', () => {
  const ready = (t: TestContext): boolean => needs(t, 'out/src/cli/mlw.js', existsSync(MLW), 'npm run compile-tests') && python(t);

  it('prints the tensors of a checkpoint and of a safetensors file, and --json the whole summary', (t) => {
    if (!ready(t)) return;
    const r = mlw('inspect', join(dir.path, 'checkpoint.pth'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^PyTorch checkpoint \(torch\.save\)$/m);
    assert.match(r.stdout, /^ {2}model\.0\.weight +float32\[8,3,3,3\] +864 B$/m);
    const j = mlw('inspect', join(dir.path, 'model.safetensors'), '--json');
    assert.equal(j.status, 0, j.stderr);
    const s = JSON.parse(j.stdout) as { format: string; tensors: { name: string; dtype: string; shape: number[] }[] };
    assert.equal(s.format, 'safetensors');
    assert.deepEqual(
      s.tensors.map((x) => [x.name, x.dtype, x.shape]),
      truth['model.safetensors'].tensors,
    );
  });

  it('exits 1 with one line for a legacy checkpoint, and for a .pt that is not a checkpoint', (t) => {
    if (!ready(t)) return;
    const r = mlw('inspect', join(dir.path, 'legacy.pt'));
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^mlw inspect: .*legacy\.pt is a legacy PyTorch checkpoint/);
    const text = join(dir.path, 'notes.pt');
    writeFileSync(text, 'not a checkpoint');
    const n = mlw('inspect', text);
    assert.equal(n.status, 1);
    assert.match(n.stderr, /is not a PyTorch checkpoint \(torch\.save writes a zip archive\)/);
  });
});
