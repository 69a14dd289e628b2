import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { readModel } from '../../../src/core/onnx/readModel';
import { readTensorData } from '../../../src/core/onnx/readTensorData';
import { summarizeModel } from '../../../src/core/onnx/summarizeModel';
import { tensorStatistics } from '../../../src/core/onnx/tensorStatistics';
import { decodeFloat16 } from '../../../src/core/onnx/float16';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { f32, model } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-onnx-ext-');
});
after(async () => {
  await dir.remove();
});

const PYTHON_MODEL = `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
out = sys.argv[1]
W = np.arange(64 * 32, dtype=np.float32).reshape(64, 32) / 7
B = np.linspace(-1, 1, 32).astype(np.float16)
I = np.array([[1, -2], [3, 2**40]], dtype=np.int64)
nodes = [helper.make_node('MatMul', ['x', 'W'], ['y']), helper.make_node('Add', ['y', 'B'], ['z'])]
graph = helper.make_graph(nodes, 'g',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 64])],
    [helper.make_tensor_value_info('z', TensorProto.FLOAT, ['N', 32])],
    [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(B, 'B'), numpy_helper.from_array(I, 'I')])
m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
onnx.save_model(m, out, save_as_external_data=True, all_tensors_to_one_file=True, location='weights.bin', size_threshold=0)
`;

async function rejectsFormat(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await promise.then(
    () => assert.fail(`expected an OnnxFormatError matching ${message}`),
    (error: unknown) => {
      assert.ok(error instanceof OnnxFormatError, `expected OnnxFormatError, got ${String(error)}`);
      assert.match(error.message, message);
    },
  );
}

describe('external data', () => {
  it('reads tensors saved by python onnx with save_as_external_data', async (t) => {
    if (!needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install python3-onnx')) return;
    const folder = join(dir.path, 'py');
    await mkdir(folder);
    const path = join(folder, 'model.onnx');
    execFileSync(SYSTEM_PYTHON, ['-c', PYTHON_MODEL, path], { timeout: 120_000 });

    const summary = await summarizeModel(path);
    assert.equal(summary.parameterCount, 64 * 32 + 32 + 4);
    assert.equal(summary.parameterBytes, 64 * 32 * 4 + 32 * 2 + 4 * 8);
    assert.equal(summary.externalData.length, 1);
    const [file] = summary.externalData;
    assert.equal(file.location, 'weights.bin');
    assert.equal(file.tensors, 3);
    assert.equal(file.error, undefined);
    assert.ok(file.size !== undefined && file.size >= file.bytes);

    const m = await readModel(path);
    const [w, b, i] = m.graph.initializers;
    assert.equal(w.dataLocation, 'external');
    const wd = await readTensorData(w);
    assert.ok(wd.values instanceof Float32Array);
    assert.equal(wd.values.length, 2048);
    assert.equal(wd.values[100], Math.fround(100 / 7));
    const bd = await readTensorData(b);
    assert.ok(bd.values instanceof Uint16Array);
    assert.equal(decodeFloat16(bd.values[0]), -1);
    assert.equal(decodeFloat16(bd.values[31]), 1);
    const id = await readTensorData(i);
    assert.deepEqual([...(id.values as BigInt64Array)], [1n, -2n, 3n, 2n ** 40n]);
    const stats = await tensorStatistics(w, { maxValues: 3 });
    assert.equal(stats.min, 0);
    assert.equal(stats.max, Math.fround(2047 / 7));
    assert.deepEqual(stats.first, [0, Math.fround(1 / 7), Math.fround(2 / 7)]);
  });

  it('rejects locations that escape the model folder: .., absolute paths, symlinks out', async () => {
    const folder = join(dir.path, 'escape');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'inside.bin'), f32([1, 2, 3, 4]));
    await symlink('/etc/passwd', join(folder, 'link-out.bin'));
    await symlink(join(folder, 'inside.bin'), join(folder, 'sub', 'link-in.bin'));
    const tensorAt = (location: string, extra: Record<string, string> = {}): Uint8Array =>
      model({
        graph: {
          initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [4], external: { location, ...extra } }],
        },
      });
    const cases: [string, RegExp][] = [
      ['../../etc/passwd', /external data location '..\/..\/etc\/passwd' contains a '..' segment/],
      ['sub/../../escape/inside.bin', /contains a '..' segment/],
      ['..\\..\\windows\\win.ini', /contains a '..' segment/],
      ['/etc/passwd', /'\/etc\/passwd' is an absolute path/],
      ['C:\\weights.bin', /is an absolute path/],
      ['link-out.bin', /resolves outside the model folder/],
      ['missing.bin', /external data file 'missing.bin' cannot be opened \(ENOENT\)/],
      ['sub', /is not a regular file/],
    ];
    for (const [location, message] of cases) {
      const path = join(folder, 'm.onnx');
      await writeFile(path, tensorAt(location));
      const m = await readModel(path);
      await rejectsFormat(readTensorData(m.graph.initializers[0]), message);
      await rejectsFormat(tensorStatistics(m.graph.initializers[0]), message);
      // The summary still works: the problem becomes a warning and an error on the file entry.
      const s = await summarizeModel(path);
      assert.equal(s.parameterCount, 4);
      assert.match(s.externalData[0].error ?? '', message);
      assert.ok(s.warnings.some((w) => message.test(w)));
    }
    // A symlink that stays inside the folder is fine.
    await writeFile(join(folder, 'ok.onnx'), tensorAt('sub/link-in.bin'));
    const ok = await readModel(join(folder, 'ok.onnx'));
    assert.deepEqual([...((await readTensorData(ok.graph.initializers[0])).values as Float32Array)], [1, 2, 3, 4]);
  });

  it('checks offset and length against the file and the dims', async () => {
    const folder = join(dir.path, 'ranges');
    await mkdir(folder);
    await writeFile(join(folder, 'data.bin'), f32([0, 0, 1, 2, 3, 4]));
    const read = async (extra: Record<string, string>): Promise<unknown> => {
      const path = join(folder, 'm.onnx');
      await writeFile(
        path,
        model({
          graph: { initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [4], external: { location: 'data.bin', ...extra } }] },
        }),
      );
      const m = await readModel(path);
      return [...((await readTensorData(m.graph.initializers[0])).values as Float32Array)];
    };
    assert.deepEqual(await read({ offset: '8', length: '16' }), [1, 2, 3, 4]);
    assert.deepEqual(await read({ offset: '8' }), [1, 2, 3, 4]);
    await rejectsFormat(read({ offset: '16', length: '16' }), /external data range 16\+16 exceeds 'data.bin' of 24 bytes/);
    await rejectsFormat(read({ length: '12' }), /external data length 12 does not match the 16 bytes/);
    await rejectsFormat(read({ offset: '-1' }), /invalid external data offset '-1'/);
    await rejectsFormat(read({ offset: '1e3' }), /invalid external data offset/);
  });
});
