/**
 * ortErrorLine against errors onnxruntime-node really raises here: a Pad in reflect mode on a too-short input, an
 * input of the wrong rank, of the wrong size on a fixed axis, of the wrong element type, a missing input, a file that
 * is not a model, an operator ORT refuses at initialization; and ORT's own coloured stderr log of a failing run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createSession, makeTensor, OrtSessionError, tryModel, type Feeds } from '../../../src/core/ort';
import { ortErrorLine } from '../../../src/core/ort/ortErrorLine';
import { attrInt, attrString, model, valueInfo } from '../onnx/protoWriter';

const FLOAT = 1;
const INT64 = 7;
let dir: string;
let padModel: string;
let fixedModel: string;
let batchwiseModel: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlw-ort-error-'));
  padModel = path.join(dir, 'pad.onnx');
  // out = Pad(input, pads=[0,3,0,3], mode=reflect): samples need at least 4 values... and ORT wants ≥ 2.
  writeFileSync(
    padModel,
    model({
      opsets: [['', 14]],
      graph: {
        nodes: [{ opType: 'Pad', name: '/Pad', inputs: ['input', 'pads'], outputs: ['out'], attributes: [attrString('mode', 'reflect')] }],
        initializers: [{ name: 'pads', dataType: INT64, dims: [4], int64Data: [0, 1, 0, 1] }],
        inputs: [valueInfo('input', FLOAT, ['batch', 'samples'])],
        outputs: [valueInfo('out', FLOAT, ['batch', null])],
      },
    }),
  );
  fixedModel = path.join(dir, 'fixed.onnx');
  writeFileSync(
    fixedModel,
    model({
      opsets: [['', 14]],
      graph: {
        nodes: [{ opType: 'Relu', inputs: ['image'], outputs: ['y'] }],
        inputs: [valueInfo('image', FLOAT, [1, 3, 4, 4])],
        outputs: [valueInfo('y', FLOAT, [1, 3, 4, 4])],
      },
    }),
  );
  batchwiseModel = path.join(dir, 'gru.onnx');
  writeFileSync(
    batchwiseModel,
    model({
      opsets: [['', 14]],
      graph: {
        nodes: [
          { opType: 'GRU', inputs: ['x', 'w', 'r'], outputs: ['', 'h'], attributes: [attrInt('hidden_size', 2), attrInt('layout', 1)] },
        ],
        initializers: [
          { name: 'w', dataType: FLOAT, dims: [1, 6, 2], floatData: new Array(12).fill(0.1) },
          { name: 'r', dataType: FLOAT, dims: [1, 6, 2], floatData: new Array(12).fill(0.1) },
        ],
        inputs: [valueInfo('x', FLOAT, [1, 2, 2])],
        outputs: [valueInfo('h', FLOAT, null as unknown as undefined)],
      },
    }),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function runError(file: string, feeds: Feeds): Promise<unknown> {
  const { session } = await createSession(file, { logSeverityLevel: 4 });
  try {
    await session.run(feeds);
  } catch (e) {
    return e;
  } finally {
    await session.release();
  }
  throw new Error('the run did not fail');
}

const floats = (shape: number[]) => makeTensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

test('Pad reflect on a [1,1] input: the cause, the node, and with the feeds, the input shape', async () => {
  const e = await runError(padModel, { input: floats([1, 1]) });
  assert.match((e as Error).message, /Non-zero status code returned while running Pad node/);
  assert.equal(ortErrorLine(e), "Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1])");
  assert.equal(
    ortErrorLine(e, { inputs: [{ name: 'input', shape: [1, 1] }] }),
    "Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1]); input `input` was [1,1]",
  );
});

test('tryModel at samples=1 fails with that one line, naming the model and the input shape it used', async () => {
  const error = await tryModel(padModel, {}, { dims: { batch: 1, samples: 1 }, logSeverityLevel: 4 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof OrtSessionError);
  assert.equal(
    error.message,
    `cannot run model ${padModel}: Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1]); input \`input\` was [1,1]`,
  );
});

test('wrong rank, wrong size on a fixed axis, wrong element type, a missing input', async () => {
  assert.equal(
    ortErrorLine(await runError(fixedModel, { image: floats([3, 4, 4]) })),
    'input `image` has rank 3; the model expects rank 4',
  );
  assert.equal(
    ortErrorLine(await runError(fixedModel, { image: floats([1, 3, 5, 2]) })),
    'input `image` has the wrong shape: axis 2 is 5, the model expects 4; axis 3 is 2, the model expects 4',
  );
  assert.equal(
    ortErrorLine(await runError(fixedModel, { image: makeTensor('int64', new BigInt64Array(48), [1, 3, 4, 4]) })),
    'an input is int64 where the model expects float',
  );
  assert.equal(ortErrorLine(await runError(fixedModel, {})), 'input `image` is missing: the model needs a value for it');
});

test('load failures: not a model, an operator ORT refuses (source location, signature and ENFORCE text dropped)', async () => {
  const notModel = path.join(dir, 'notes.onnx');
  writeFileSync(notModel, 'these are not protobuf bytes\n'.repeat(4));
  const e1 = await createSession(notModel, { logSeverityLevel: 4 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal((e1 as Error).message, `cannot load model ${notModel}: not a valid ONNX file (protobuf parsing failed)`);
  const e2 = await createSession(batchwiseModel, { logSeverityLevel: 4 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const raw = ((e2 as Error).cause as Error).message;
  assert.match(raw, /\.h:\d+ onnxruntime::/);
  assert.equal(
    ortErrorLine(e2 && (e2 as Error).cause),
    'cannot initialize the model: Batchwise recurrent operations (layout == 1) are not supported.',
  );
});

test("ORT's coloured stderr log of a failing run, and a CLI's stderr: one line, no ANSI escapes, no log prefix", () => {
  const script = `
    const ort = require(${JSON.stringify(require.resolve('onnxruntime-node'))});
    (async () => {
      const s = await ort.InferenceSession.create(${JSON.stringify(padModel)}, { logSeverityLevel: 0 });
      try { await s.run({ input: new ort.Tensor('float32', new Float32Array(1), [1, 1]) }); } catch (e) {}
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.match(r.stderr, /\x1b\[[\d;]*m.*\[E:onnxruntime:/);
  const line = ortErrorLine(r.stderr);
  assert.equal(line, "Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1])");
  const cli = `${r.stderr}mlw try: cannot run model /m/pad.onnx: Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1]); input \`input\` was [1,1]\n`;
  assert.equal(
    ortErrorLine(cli),
    "cannot run model /m/pad.onnx: Pad reflect requires axis length ≥ 2 (node '/Pad' got [1,1]); input `input` was [1,1]",
  );
  assert.equal(ortErrorLine('[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : something odd'), 'something odd');
  assert.equal(ortErrorLine(''), 'unknown error');
});
