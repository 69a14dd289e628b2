/**
 * A model whose weights (1.1 GiB) live in an external data file. The file is sparse (ftruncate), made in
 * setup and removed after, so the test costs no disk space or write time.
 */
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { readModel } from '../../../src/core/onnx/readModel';
import { readTensorData } from '../../../src/core/onnx/readTensorData';
import { summarizeModel } from '../../../src/core/onnx/summarizeModel';
import { tensorStatistics } from '../../../src/core/onnx/tensorStatistics';
import { model, valueInfo } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

const ROWS = 16384;
const COLS = 18432;
const W_BYTES = ROWS * COLS * 4; // 1,207,959,552 bytes = 1.125 GiB
const B_BYTES = COLS * 2; // float16 bias

let dir: TempDir;
let modelPath: string;
before(async () => {
  dir = await tempDir('mlw-onnx-large-');
  const data = await open(join(dir.path, 'weights.bin'), 'w');
  await data.truncate(W_BYTES + B_BYTES);
  await data.close();
  modelPath = join(dir.path, 'large.onnx');
  await writeFile(
    modelPath,
    model({
      graph: {
        name: 'large',
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
          { opType: 'Add', inputs: ['h', 'B'], outputs: ['y'] },
        ],
        initializers: [
          {
            name: 'W',
            dataType: DataType.FLOAT,
            dims: [ROWS, COLS],
            external: { location: 'weights.bin', offset: '0', length: String(W_BYTES) },
          },
          {
            name: 'B',
            dataType: DataType.FLOAT16,
            dims: [COLS],
            external: { location: 'weights.bin', offset: String(W_BYTES), length: String(B_BYTES) },
          },
        ],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', ROWS])],
        outputs: [valueInfo('y', DataType.FLOAT, ['batch', COLS])],
      },
    }),
  );
});
after(async () => {
  await dir.remove();
});

describe('a model with more than 1 GiB of external weights', () => {
  it('summarizes with the right parameter count and bytes, without reading the weights', async () => {
    const started = performance.now();
    const s = await summarizeModel(modelPath);
    const took = performance.now() - started;
    assert.equal(s.parameterCount, ROWS * COLS + COLS);
    assert.equal(s.parameterBytes, W_BYTES + B_BYTES);
    assert.ok(s.parameterBytes > 2 ** 30);
    assert.deepEqual(
      s.parametersByDtype.map((d) => [d.dtype, d.elements, d.bytes]),
      [
        ['float', ROWS * COLS, W_BYTES],
        ['float16', COLS, B_BYTES],
      ],
    );
    assert.deepEqual(s.externalData, [{ location: 'weights.bin', tensors: 2, bytes: W_BYTES + B_BYTES, size: W_BYTES + B_BYTES }]);
    assert.ok(s.bytesRead <= s.fileSize + 64, `read ${s.bytesRead} bytes`);
    assert.deepEqual(s.inputs[0].shape, ['batch', ROWS]);
    assert.ok(took < 1000, `summary took ${took} ms`);
  });

  it('reads a small tensor from the far end of the file and refuses the big one above the limit', async () => {
    const m = await readModel(modelPath);
    const [w, b] = m.graph.initializers;
    const bias = await readTensorData(b);
    assert.ok(bias.values instanceof Uint16Array);
    assert.equal(bias.values.length, COLS);
    const stats = await tensorStatistics(b);
    assert.deepEqual([stats.min, stats.max, stats.zeroCount], [0, 0, COLS]);
    await assert.rejects(readTensorData(w), (error: unknown) => {
      assert.ok(error instanceof OnnxFormatError);
      assert.match(error.message, /tensor 'W' holds 1207959552 bytes, more than the read limit of 1073741824/);
      return true;
    });
  });
});
