/**
 * rewriteModelFile, the optimisation recipes' writer: a rewrite that removes a node and an initializer, adds new
 * ones (a lazily produced tensor included), steps a Cast in on the consumer side and another on the producer side,
 * and adds an opset must give a file our reader reads back and onnxruntime-node runs to the values the rewritten
 * computation gives; everything the rewrite does not touch stays byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rewriteModelFile, tensorFromArray } from '../../../src/core/onnx/edit';
import { readModel } from '../../../src/core/onnx/readModel';
import { f32, model, valueInfo } from './protoWriter';
import { runOnFloat32 } from './runModel';
import { tempDir, type TempDir } from './tempFiles';

const FLOAT = 1;
const FLOAT16 = 10;
let dir: TempDir;
let source: string;
const W = [1, 2, 3, 4, 5, 6];
const B = [10, 20];

before(async () => {
  dir = await tempDir('mlw-rewrite-');
  source = join(dir.path, 'mlp.onnx');
  // y = x · W + B, x [2,3], W [3,2]
  await writeFile(
    source,
    model({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] },
          { opType: 'Add', name: 'add', inputs: ['h', 'B'], outputs: ['y'] },
        ],
        initializers: [
          { name: 'W', dataType: FLOAT, dims: [3, 2], raw: f32(W) },
          { name: 'B', dataType: FLOAT, dims: [2], raw: f32(B) },
        ],
        inputs: [valueInfo('x', FLOAT, [2, 3])],
        outputs: [valueInfo('y', FLOAT, [2, 2])],
      },
    }),
  );
});
after(async () => {
  await dir.remove();
});

async function run(path: string, x: number[]): Promise<number[]> {
  const out = await runOnFloat32(path, 'x', x, [2, 3]);
  return Array.from(out.y.data as Float32Array);
}

describe('rewriteModelFile', () => {
  it('replaces a node and its initializer, steps Casts in on both sides: read back as written, and it runs', async () => {
    const out = join(dir.path, 'rewritten.onnx');
    let produced = 0;
    const result = await rewriteModelFile(source, out, (m) => {
      const add = m.graph.nodes.findIndex((n) => n.opType === 'Add');
      return {
        removeNodes: new Set([add]),
        removeInitializers: new Set(['B', 'W']),
        insertBefore: new Map([
          [
            0,
            [
              {
                opType: 'Cast',
                name: 'x_to_half',
                inputs: ['x'],
                outputs: ['x_half'],
                attributes: [{ name: 'to', kind: 'int', value: FLOAT16 }],
              },
            ],
          ],
          [
            add,
            [
              {
                opType: 'Cast',
                name: 'h_back',
                inputs: ['h_half'],
                outputs: ['h'],
                attributes: [{ name: 'to', kind: 'int', value: FLOAT }],
              },
              { opType: 'Sub', name: 'sub', inputs: ['h', 'B_negated'], outputs: ['y'] },
            ],
          ],
        ]),
        inputRenames: new Map([
          ['x', 'x_half'],
          ['W', 'W_half'],
        ]),
        outputRenames: new Map([['h', 'h_half']]),
        addInitializers: [
          {
            name: 'B_negated',
            dataType: FLOAT,
            dims: [2],
            byteLength: 8,
            bytes: () => {
              produced++;
              return f32(B.map((b) => -b));
            },
          },
          // The MatMul now runs in float16, on a float16 copy of W.
          tensorFromArray('W_half', FLOAT16, [3, 2], Uint16Array.from([0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600])),
        ],
        opsets: [{ domain: 'com.microsoft', version: 1 }],
        changes: ['Add + B replaced by Sub - B'],
      };
    });
    assert.equal(produced, 1, 'the lazy tensor is produced once, when written');
    assert.deepEqual(result.changes, ['Add + B replaced by Sub - B']);
    assert.deepEqual(result.droppedInitializers, { count: 2, bytes: 32 });

    const read = await readModel(out);
    assert.deepEqual(
      read.graph.nodes.map((n) => n.opType),
      ['Cast', 'MatMul', 'Cast', 'Sub'],
    );
    assert.deepEqual(read.graph.nodes[1].inputs, ['x_half', 'W_half'], 'MatMul reads the Cast output and the new weight');
    assert.deepEqual(read.graph.nodes[1].outputs, ['h_half'], 'MatMul writes into the Cast back');
    assert.deepEqual(
      read.graph.initializers.map((t) => t.name),
      ['B_negated', 'W_half'],
    );
    assert.ok(read.opsetImports.some((o) => o.domain === 'com.microsoft' && Number(o.version) === 1));
    assert.ok(read.opsetImports.some((o) => o.domain === '' && Number(o.version) === 17));
    assert.deepEqual(
      read.graph.inputs.map((v) => v.name),
      ['x'],
    );
    // Small integers are exact in float16, so the float16 MatMul gives the float32 values.
    const x = [1, 0, 2, -1, 3, 0.5];
    assert.deepEqual(await run(out, x), await run(source, x));
  });

  it('a rewrite onnxruntime runs gives the rewritten values, and the source stays as it was', async () => {
    const before = await readFile(source);
    const out = join(dir.path, 'sub.onnx');
    await rewriteModelFile(source, out, (m) => ({
      removeNodes: new Set([m.graph.nodes.findIndex((n) => n.opType === 'Add')]),
      removeInitializers: new Set(['B']),
      insertBefore: new Map([[m.graph.nodes.length, [{ opType: 'Sub', name: 'sub', inputs: ['h', 'B_negated'], outputs: ['y'] }]]]),
      addInitializers: [tensorFromArray('B_negated', FLOAT, [2], Float32Array.from(B.map((b) => -b)))],
    }));
    const x = [1, 0, 2, -1, 3, 0.5];
    const want = [0, 1].flatMap((r) => [0, 1].map((c) => [0, 1, 2].reduce((s, k) => s + x[r * 3 + k] * W[k * 2 + c], 0) + B[c]));
    assert.deepEqual(await run(out, x), want);
    assert.deepEqual(await run(source, x), want);
    assert.ok(before.equals(await readFile(source)), 'the source file is untouched');
  });

  it('ownExternalData gives the output a data file named after it, streamed from the source data', async () => {
    const ext = join(dir.path, 'ext.onnx');
    await writeFile(join(dir.path, 'ext.weights'), Buffer.concat([Buffer.alloc(16, 7), f32(W)]));
    await writeFile(
      ext,
      model({
        graph: {
          nodes: [
            { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] },
            { opType: 'Add', name: 'add', inputs: ['h', 'B'], outputs: ['y'] },
          ],
          initializers: [
            { name: 'W', dataType: FLOAT, dims: [3, 2], external: { location: 'ext.weights', offset: '16', length: '24' } },
            { name: 'B', dataType: FLOAT, dims: [2], raw: f32(B) },
          ],
          inputs: [valueInfo('x', FLOAT, [2, 3])],
          outputs: [valueInfo('y', FLOAT, [2, 2])],
        },
      }),
    );
    await mkdir(join(dir.path, 'variants'));
    const out = join(dir.path, 'variants', 'ext.v1.onnx');
    const result = await rewriteModelFile(ext, out, () => ({}), { ownExternalData: true });
    assert.deepEqual(result.externalData, [{ location: 'ext.v1.onnx.data', action: 'copied', bytes: 24 }]);
    assert.deepEqual((await readdir(join(dir.path, 'variants'))).sort(), ['ext.v1.onnx', 'ext.v1.onnx.data']);
    assert.ok((await readFile(join(dir.path, 'variants', 'ext.v1.onnx.data'))).equals(Buffer.from(f32(W))));
    const w = (await readModel(out)).graph.initializers.find((t) => t.name === 'W');
    assert.deepEqual(w?.externalData, { location: 'ext.v1.onnx.data', offset: '0', length: '24' });
    const x = [1, 0, 2, -1, 3, 0.5];
    assert.deepEqual(await run(out, x), await run(source, x));
  });

  it('a producer that fails leaves no file behind', async () => {
    const out = join(dir.path, 'broken.onnx');
    await assert.rejects(
      rewriteModelFile(source, out, () => ({
        addInitializers: [{ name: 'bad', dataType: FLOAT, dims: [2], byteLength: 8, bytes: () => new Uint8Array(4) }],
      })),
      /bad: 4 bytes produced, 8 expected/,
    );
    await assert.rejects(readFile(out), /ENOENT/);
    assert.deepEqual(
      (await readdir(dir.path)).filter((f) => f.includes('tmp')),
      [],
    );
  });
});
