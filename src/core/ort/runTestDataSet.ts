/**
 * Checks a model against an ONNX test data set (`test_data_set_N/input_*.pb`, `output_*.pb` next to the model, as
 * in the ONNX backend test suite): loads it with onnxruntime-node, feeds the inputs read by readTensorFile and
 * compares every output within a tolerance.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import { readTensorData } from '../onnx/readTensorData';
import { readTensorFile } from '../onnx/readTensorFile';
import { compareTensors, DEFAULT_TOLERANCE, type Tolerance } from './compareTensors';
import { causeText, createSession, QUIET_RUN_OPTIONS, type SessionOptions } from './createSession';
import { tensorFromData } from './ortTensor';

export type TestDataStatus = 'passed' | 'mismatch' | 'load-failed' | 'unsupported-io' | 'run-failed';

export interface TestDataResult {
  model: string;
  status: TestDataStatus;
  detail?: string;
  loadMs: number;
  runMs: number;
}

export interface TestDataOptions extends SessionOptions {
  /** Folder of the data set; default `test_data_set_0` next to the model. */
  dataSet?: string;
  tolerance?: Tolerance;
}

const indexOf = (file: string): number => Number(/_(\d+)\.pb$/.exec(file)?.[1] ?? -1);

async function pbFiles(dir: string, prefix: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => indexOf(a) - indexOf(b))
    .map((f) => join(dir, f));
}

export async function runTestDataSet(modelPath: string, options: TestDataOptions = {}): Promise<TestDataResult> {
  const dataSet = options.dataSet ?? join(dirname(modelPath), 'test_data_set_0');
  const result = (status: TestDataStatus, detail: string | undefined, loadMs: number, runMs = 0): TestDataResult => ({
    model: modelPath,
    status,
    ...(detail !== undefined ? { detail } : {}),
    loadMs,
    runMs,
  });
  const t0 = performance.now();
  let session: ort.InferenceSession;
  try {
    session = (await createSession(modelPath, options)).session;
  } catch (e) {
    return result('load-failed', causeText((e as Error).cause ?? e), performance.now() - t0);
  }
  const loadMs = performance.now() - t0;
  try {
    const nonTensor = [...session.inputMetadata, ...session.outputMetadata].filter((m) => !m.isTensor).map((m) => m.name);
    if (nonTensor.length > 0) return result('unsupported-io', `non-tensor inputs/outputs: ${nonTensor.join(', ')}`, loadMs);
    const feeds: Record<string, ort.Tensor> = {};
    const inputFiles = await pbFiles(dataSet, 'input_');
    for (const [i, file] of inputFiles.entries()) {
      let data;
      try {
        data = await readTensorData(await readTensorFile(file));
        const name = data.name && session.inputNames.includes(data.name) ? data.name : session.inputNames[i];
        if (name === undefined) return result('unsupported-io', `${file}: more input files than model inputs`, loadMs);
        feeds[name] = tensorFromData(data);
      } catch (e) {
        return result('unsupported-io', `${file}: ${causeText(e)}`, loadMs);
      }
    }
    const expected = [];
    for (const [i, file] of (await pbFiles(dataSet, 'output_')).entries()) {
      try {
        const data = await readTensorData(await readTensorFile(file));
        const name = data.name && session.outputNames.includes(data.name) ? data.name : session.outputNames[i];
        if (name === undefined) return result('unsupported-io', `${file}: more output files than model outputs`, loadMs);
        expected.push({ name, data });
      } catch (e) {
        return result('unsupported-io', `${file}: ${causeText(e)}`, loadMs);
      }
    }
    const r0 = performance.now();
    let outputs: ort.InferenceSession.ReturnType;
    try {
      outputs = await session.run(
        feeds,
        expected.map((e) => e.name),
        QUIET_RUN_OPTIONS,
      );
    } catch (e) {
      return result('run-failed', causeText(e), loadMs, performance.now() - r0);
    }
    const runMs = performance.now() - r0;
    for (const { name, data } of expected) {
      const comparison = compareTensors(data, outputs[name], options.tolerance ?? DEFAULT_TOLERANCE);
      if (!comparison.equal) return result('mismatch', `output '${name}': ${comparison.reason}`, loadMs, runMs);
    }
    return result('passed', undefined, loadMs, runMs);
  } finally {
    await session.release().catch(() => undefined);
  }
}
