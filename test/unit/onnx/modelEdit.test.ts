/**
 * `mlw edit` for real: models written by Debian's python3-onnx (test/fixtures/onnx_edit_models.py) are edited by
 * the built CLI; every written model must pass onnx.checker.check_model(full_check=True) (one Python process per
 * test), load in onnxruntime-node and, where the edit keeps the computation, give the original's outputs on the
 * same inputs. --extract is compared with onnx.utils.extract_model, --set-dim runs with batch 3, a model with
 * external data keeps it external and untouched, every error exits 2 with one line and writes nothing, and
 * every corpus model survives a rename that onnxruntime then runs to the corpus's expected outputs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { editModelFile } from '../../../src/core/onnx/edit';
import { readModel } from '../../../src/core/onnx/readModel';
import { createSession } from '../../../src/core/ort/createSession';
import { loadOrt } from '../../../src/core/ort/loadOrt';
import { runTestDataSet } from '../../../src/core/ort/runTestDataSet';
import { CORPUS_DIR, hasCorpus, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { listCorpusModels, REPO_ROOT } from './corpus';
import { tempDir, type TempDir } from './tempFiles';

const SCRIPT = join(REPO_ROOT, 'test/fixtures/onnx_edit_models.py');
const MLW = resolve(REPO_ROOT, 'out/src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 120_000 });

interface Value {
  name: string;
  elem_type: number;
  shape: (number | string | null)[] | null;
}
interface Summary {
  ir_version: number;
  opsets: [string, number][];
  model_version: number;
  doc_string: string;
  metadata: Record<string, string>;
  inputs: Value[];
  outputs: Value[];
  nodes: { name: string; op_type: string; inputs: string[]; outputs: string[] }[];
  initializers: string[];
  external: string[];
  subgraph_inputs: string[];
}
interface Checked {
  ok: boolean;
  error?: string;
  summary: Summary;
}

let dir: TempDir;
let havePython = false;
before(async () => {
  dir = await tempDir('mlw-onnx-edit-');
  havePython = pythonHas('onnx') && pythonHas('numpy');
  if (havePython) execFileSync(SYSTEM_PYTHON, [SCRIPT, 'make', dir.path], { encoding: 'utf8', timeout: 120_000 });
});
after(async () => {
  await dir.remove();
});

const python = (t: TestContext): boolean =>
  needs(t, "Debian's python3-onnx and python3-numpy", havePython, 'apt-get install python3-onnx python3-numpy');

/** One Python process: extract_model jobs first, then check_model(full_check=True) and a summary of every path. */
function pythonCheck(paths: string[], extract: [string, string, string[], string[]][] = []): Record<string, Checked> {
  const jobs = join(dir.path, `jobs-${Date.now()}-${Math.random()}.json`);
  writeFileSync(jobs, JSON.stringify({ check: paths, extract }));
  return JSON.parse(
    execFileSync(SYSTEM_PYTHON, [SCRIPT, 'check', jobs], { encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 }),
  ) as Record<string, Checked>;
}

function edit(model: string, out: string, ...flags: string[]): void {
  const r = mlw('edit', model, ...flags, '-o', out);
  assert.equal(r.status, 0, `mlw edit ${flags.join(' ')}: ${r.stderr}`);
}

type Feeds = Record<string, { data: Float32Array; dims: number[] }>;

async function run(model: string, feeds: Feeds): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const ort = loadOrt();
  const { session } = await createSession(model);
  try {
    const inputs: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', f.data, f.dims);
    const out = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(out).map(([name, t]) => [name, { data: Float32Array.from(t.data as Float32Array), dims: [...t.dims] }]),
    );
  } finally {
    await session.release();
  }
}

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('mlw edit on models written by python3-onnx', () => {
  it('renames, metadata, doc, version, added and removed outputs: checker passes, ORT gives the same outputs', async (t) => {
    if (!python(t)) return;
    const mlp = join(dir.path, 'mlp.onnx');
    const out = (name: string) => join(dir.path, `${name}.onnx`);
    edit(mlp, out('renamed'), '--rename-input', 'x=features', '--rename-output', 'probs=scores', '--rename-node', 'fc1=dense1');
    edit(
      mlp,
      out('meta'),
      '--set-meta',
      'author=me',
      '--set-meta',
      'new=1',
      '--remove-meta',
      'labels',
      '--doc',
      'edited',
      '--model-version',
      '7',
    );
    edit(mlp, out('added'), '--add-output', 'h2', '--add-output', 'h1', '--remove-output', 'branch');
    const stable = join(dir.path, 'stable.onnx');
    edit(stable, out('opset16'), '--opset', '16');
    const checked = pythonCheck(['renamed', 'meta', 'added', 'opset16'].map(out));
    for (const [path, c] of Object.entries(checked)) assert.ok(c.ok, `${path}: ${c.error}`);

    const renamed = checked[out('renamed')].summary;
    assert.deepEqual(
      renamed.inputs.map((i) => i.name),
      ['features'],
    );
    assert.deepEqual(
      renamed.outputs.map((o) => o.name),
      ['scores', 'branch'],
    );
    assert.deepEqual(renamed.nodes[0], { name: 'dense1', op_type: 'MatMul', inputs: ['features', 'w1'], outputs: ['h0'] });
    assert.equal(renamed.nodes[4].outputs[0], 'scores');
    assert.deepEqual(renamed.subgraph_inputs, ['features'], 'the If branches read the renamed input');
    assert.ok(!renamed.initializers.includes('never_read'), 'the unused initializer is dropped');
    assert.deepEqual(renamed.initializers, ['w1', 'b1', 'w2', 'flag']);

    const meta = checked[out('meta')].summary;
    assert.deepEqual(meta.metadata, { author: 'me', new: '1' });
    assert.equal(meta.doc_string, 'edited');
    assert.equal(meta.model_version, 7);

    const added = checked[out('added')].summary;
    assert.deepEqual(added.outputs, [
      { name: 'probs', elem_type: 1, shape: [1, 3] },
      { name: 'h2', elem_type: 1, shape: [1, 8] },
      { name: 'h1', elem_type: 1, shape: [1, 8] },
    ]);
    const opset = checked[out('opset16')].summary;
    assert.deepEqual(opset.opsets, [['', 16]]);
    assert.equal(opset.ir_version, 8, 'IR raised to the lowest that carries opset 16');

    const x = { data: random(4, 1), dims: [1, 4] };
    const before = await run(mlp, { x });
    const after1 = await run(out('renamed'), { features: x });
    assert.deepEqual(after1.scores, before.probs);
    assert.deepEqual(after1.branch, before.branch);
    assert.deepEqual(await run(out('meta'), { x }), before);
    const after3 = await run(out('added'), { x });
    assert.deepEqual(after3.probs, before.probs);
    assert.equal(after3.h2.data.length, 8);
    assert.ok(
      after3.h2.data.every((v) => v >= 0),
      'h2 is the Relu output',
    );
    assert.deepEqual(await run(out('opset16'), { x }), await run(stable, { x }));
  });

  it('--set-dim makes the batch dynamic: the model then runs with batch 3, each row as with batch 1', async (t) => {
    if (!python(t)) return;
    const mlp = join(dir.path, 'mlp.onnx');
    const out = join(dir.path, 'dynamic.onnx');
    edit(mlp, out, '--set-dim', 'x:0=batch', '--set-dim', 'probs:0=batch', '--set-dim', 'branch:-2=batch');
    const c = pythonCheck([out])[out];
    assert.ok(c.ok, c.error);
    assert.deepEqual(c.summary.inputs, [{ name: 'x', elem_type: 1, shape: ['batch', 4] }]);
    assert.deepEqual(
      c.summary.outputs.map((o) => o.shape),
      [
        ['batch', 3],
        ['batch', 4],
      ],
    );
    const rows = random(12, 5);
    const batched = await run(out, { x: { data: rows, dims: [3, 4] } });
    assert.deepEqual(batched.probs.dims, [3, 3]);
    for (let r = 0; r < 3; r++) {
      const one = await run(mlp, { x: { data: rows.slice(r * 4, r * 4 + 4), dims: [1, 4] } });
      assert.deepEqual(Array.from(batched.probs.data.slice(r * 3, r * 3 + 3)), Array.from(one.probs.data));
    }
    const fixed = join(dir.path, 'fixed3.onnx');
    edit(out, fixed, '--set-dim', 'x:0=3', '--set-dim', 'probs:0=3', '--set-dim', 'branch:0=3');
    assert.deepEqual((await run(fixed, { x: { data: rows, dims: [3, 4] } })).probs, batched.probs);
  });

  it('--extract keeps what onnx.utils.extract_model keeps: the same nodes, inputs, outputs and initializers', async (t) => {
    if (!python(t)) return;
    const mlp = join(dir.path, 'mlp.onnx');
    const specs: [string[], string[]][] = [
      [['h0'], ['logits']],
      [['x'], ['h1', 'probs']],
      [['h1'], ['probs']],
    ];
    const jobs: [string, string, string[], string[]][] = [];
    const ours: string[] = [];
    specs.forEach(([ins, outs], i) => {
      const mine = join(dir.path, `extract-${i}.onnx`);
      edit(mlp, mine, '--extract', `${ins.join(',')}:${outs.join(',')}`);
      ours.push(mine);
      jobs.push([mlp, join(dir.path, `extract-${i}-python.onnx`), ins, outs]);
    });
    const checked = pythonCheck(ours, jobs);
    for (const [i, mine] of ours.entries()) {
      const a = checked[mine];
      const b = checked[jobs[i][1]];
      assert.ok(a.ok, `${mine}: ${a.error}`);
      assert.ok(b.ok, `${jobs[i][1]}: ${b.error}`);
      assert.deepEqual(a.summary.nodes, b.summary.nodes, `nodes of ${specs[i].join(' -> ')}`);
      assert.deepEqual(a.summary.inputs, b.summary.inputs);
      assert.deepEqual(a.summary.outputs, b.summary.outputs);
      assert.deepEqual(a.summary.initializers, b.summary.initializers);
    }
    const h0 = { data: random(8, 9), dims: [1, 8] };
    assert.deepEqual(await run(ours[0], { h0 }), await run(jobs[0][1], { h0 }));
    const x = { data: random(4, 3), dims: [1, 4] };
    assert.deepEqual((await run(ours[1], { x })).probs, (await run(mlp, { x })).probs);
  });

  it('external data stays external: same folder references weights.bin untouched, another folder gets a copy', async (t) => {
    if (!python(t)) return;
    const model = join(dir.path, 'ext/model.onnx');
    const weights = join(dir.path, 'ext/weights.bin');
    const hash = sha256(weights);
    const mtime = statSync(weights).mtimeMs;
    const beside = join(dir.path, 'ext/edited.onnx');
    const r = mlw('edit', model, '--rename-input', 'input=x', '--set-dim', 'input:0=N', '-o', beside, '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { externalData: { location: string; action: string }[]; bytesWritten: number };
    assert.deepEqual(
      result.externalData.map((e) => [e.location, e.action]),
      [['weights.bin', 'referenced']],
    );
    assert.ok(result.bytesWritten < 1024, 'the weights are not in the model file');
    const other = join(dir.path, 'elsewhere/sub/edited.onnx');
    const text = mlw('edit', model, '--rename-output', 'output=y', '-o', other);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /external data weights\.bin .*copied beside the output/);
    const again = mlw('edit', model, '--rename-output', 'output=y', '-o', other);
    assert.match(again.stdout, /already beside the output/);
    const copy = join(dir.path, 'ext/copy.onnx');
    edit(model, copy);
    assert.deepEqual(readFileSync(copy), readFileSync(model), 'an edit that changes nothing copies the file byte for byte');

    const checked = pythonCheck([beside, other]);
    for (const [path, c] of Object.entries(checked)) assert.ok(c.ok, `${path}: ${c.error}`);
    assert.deepEqual(checked[beside].summary.external, ['weights.bin']);
    assert.deepEqual(checked[beside].summary.inputs, [{ name: 'x', elem_type: 1, shape: ['N', 64] }]);
    assert.equal(sha256(weights), hash);
    assert.equal(statSync(weights).mtimeMs, mtime);
    assert.equal(sha256(join(dirname(other), 'weights.bin')), hash);

    const input = { data: random(128, 2), dims: [2, 64] };
    const original = await run(model, { input });
    assert.deepEqual((await run(beside, { x: input })).output, original.output);
    assert.deepEqual((await run(other, { input })).y, original.output);
    const five = await run(beside, { x: { data: random(320, 4), dims: [5, 64] } });
    assert.deepEqual(five.output.dims, [5, 32]);
  });

  it('refuses bad edits with one line and exit code 2, writing nothing', (t) => {
    if (!python(t)) return;
    const mlp = join(dir.path, 'mlp.onnx');
    const out = join(dir.path, 'refused.onnx');
    const cases: [string[], RegExp][] = [
      [['--rename-input', 'nope=a'], /--rename-input nope=a: nope is not a graph input/],
      [['--rename-output', 'x=a'], /x is not a graph output/],
      [['--rename-input', 'x=w1'], /the name w1 is already taken/],
      [['--rename-output', 'probs=h1'], /the name h1 is already taken/],
      [['--rename-node', 'fc1=fc2'], /fc2 is already taken by a node/],
      [['--rename-node', 'nobody=a'], /no node of the graph is named nobody/],
      [['--set-dim', 'x:2=4'], /axis 2 is out of range for x, which has 2 dimensions/],
      [['--set-dim', 'nope:0=4'], /nope is not a graph input or output/],
      [['--set-dim', 'x0=4'], /expected INPUT:AXIS=VALUE/],
      [['--add-output', 'nothing'], /--add-output nothing: nothing is not a tensor of the graph/],
      [['--add-output', 'probs'], /probs is already a graph output/],
      [['--remove-output', 'h1'], /h1 is not a graph output/],
      [['--remove-meta', 'nokey'], /no metadata entry nokey/],
      [['--extract', 'x:nothing'], /--extract: nothing is not a tensor of the graph/],
      [['--extract', 'h0:probs,branch'], /depend on graph input x/],
      [['--opset', '12'], /--opset 12: .* means something else at opset 12 than at 13/],
      [['--opset', '21'], /opsets 1 to 17 only/],
      [['--opset', 'x'], /--opset x: expected an integer/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [flags, message] of cases) {
      const r = mlw('edit', mlp, ...flags, '-o', out);
      assert.equal(r.status, 2, `${flags.join(' ')}: exit ${r.status} ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${flags.join(' ')}: one line, got ${r.stderr}`);
      assert.match(lines[0], /^mlw edit: /);
      assert.match(lines[0], message);
      assert.ok(!existsSync(out), `${flags.join(' ')} wrote ${out}`);
    }
    const noOut = mlw('edit', mlp, '--doc', 'x');
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr.trim(), /^mlw edit: -o OUT is required[^\n]*$/);
    const inPlace = mlw('edit', mlp, '--doc', 'x', '-o', mlp);
    assert.equal(inPlace.status, 2);
    assert.match(inPlace.stderr.trim(), /^mlw edit: -o must name a new file[^\n]*$/);
    const missing = mlw('edit', join(dir.path, 'missing.onnx'), '-o', out);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr.trim(), /^mlw edit: no such file/);
    const data = join(dir.path, 'ext/model.onnx');
    const intoData = mlw('edit', data, '-o', join(dir.path, 'ext/weights.bin'));
    assert.equal(intoData.status, 2);
    assert.match(intoData.stderr, /external data file weights\.bin/);
    assert.ok(!readdirTemp(dir.path).length, 'no temporary files are left behind');
  });
});

function readdirTemp(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      if (name.isDirectory()) walk(join(d, name.name));
      else if (name.name.endsWith('.mlw-edit.tmp')) found.push(join(d, name.name));
    }
  };
  walk(root);
  return found;
}

describe('mlw edit over the libonnx-testdata corpus', () => {
  it('renaming every model’s first input and output keeps it valid and ORT still gives the expected outputs', async (t) => {
    if (!needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    if (!python(t)) return;
    const models = listCorpusModels();
    const outRoot = join(dir.path, 'corpus');
    const written: { source: string; out: string }[] = [];
    const failures: string[] = [];
    for (const source of models) {
      const model = await readModel(source);
      const input = model.graph.inputs.find((i) => !model.graph.initializers.some((w) => w.name === i.name));
      const output = model.graph.outputs[0];
      const out = join(outRoot, relative(CORPUS_DIR, dirname(source)), 'edited.onnx');
      mkdirSync(dirname(out), { recursive: true });
      try {
        await editModelFile(source, out, {
          renameInputs: input ? [{ from: input.name, to: `${input.name}__in` }] : [],
          renameOutputs: output && output.name !== input?.name ? [{ from: output.name, to: `${output.name}__out` }] : [],
          setMeta: [{ key: 'edited_by', value: 'mlw' }],
        });
        written.push({ source, out });
      } catch (e) {
        failures.push(`${relative(CORPUS_DIR, source)}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    const checked = pythonCheck([...written.map((w) => w.source), ...written.map((w) => w.out)]);
    let valid = 0;
    for (const { source, out } of written) {
      if (!checked[source].ok) continue;
      valid++;
      assert.ok(checked[out].ok, `${relative(CORPUS_DIR, source)}: the original passes the checker, the edit fails: ${checked[out].error}`);
      assert.deepEqual(checked[out].summary.nodes.length, checked[source].summary.nodes.length);
      assert.equal(checked[out].summary.metadata.edited_by, 'mlw');
    }
    let passed = 0;
    const regressions: string[] = [];
    for (const { source, out } of written) {
      const before = await runTestDataSet(source, { logSeverityLevel: 4 });
      if (before.status !== 'passed') continue;
      const after = await runTestDataSet(out, { dataSet: join(dirname(source), 'test_data_set_0'), logSeverityLevel: 4 });
      if (after.status === 'passed') passed++;
      else regressions.push(`${relative(CORPUS_DIR, source)}: ${after.status} ${after.detail ?? ''}`);
    }
    assert.deepEqual(regressions, []);
    t.diagnostic(`${written.length} corpus models edited, ${valid} checked valid before and after, ${passed} run to the expected outputs`);
    assert.ok(passed > 800, `only ${passed} edited corpus models ran to their expected outputs`);
  });
});
