/**
 * Two versions of one classifier for the alias-roll tests and bench: Gemm models written by python3-onnx with
 * different weights, their outputs from in-process onnxruntime-node, the built CLI run without blocking the event
 * loop, and a load generator that keeps requests in flight and records every answer. Not a test file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SYSTEM_PYTHON } from './requires';

export const MLW = path.resolve(__dirname, '..', '..', '..', 'dist', 'mlw.js');
export const INPUT = [0.5, -1.25, 2, 0.75];

const WRITE_MODEL = `import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
scale = float(sys.argv[2])
W = numpy_helper.from_array((np.arange(12, dtype=np.float32).reshape(4, 3) * scale - 2).astype(np.float32), "W")
B = numpy_helper.from_array(np.array([scale, -scale, 0.5], dtype=np.float32), "B")
g = helper.make_graph([helper.make_node("Gemm", ["input", "W", "B"], ["logits"])], "clf",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])], initializer=[W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`;

/** Runs the built CLI without blocking this event loop (the load generator keeps going). */
export function mlwAsync(
  ws: string,
  args: string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MLW, '--workspace', ws, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlw ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export async function expected(file: string): Promise<number[]> {
  const s = await ort.InferenceSession.create(file);
  const r = await s.run({ input: new ort.Tensor('float32', Float32Array.from(INPUT), [1, 4]) });
  const out = Array.from(r.logits.data as Float32Array);
  await s.release();
  return out;
}

export const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-4);

export interface Answer {
  at: number;
  status: number;
  logits?: number[];
  error?: string;
}

/** Keeps `concurrency` requests in flight until stopped; each answer recorded. */
export function loadGenerator(url: string, concurrency = 4) {
  const answers: Answer[] = [];
  let running = true;
  const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: INPUT }] });
  const worker = async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/v2/models/clf/infer`, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'application/json' },
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await res.json()) as { outputs?: { data: number[] }[]; error?: string };
        answers.push({ at: Date.now(), status: res.status, logits: json.outputs?.[0]?.data, error: json.error });
      } catch (e) {
        answers.push({ at: Date.now(), status: 0, error: (e as Error).message });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** clf_a.onnx and clf_b.onnx in `dir`: the same signature (input [batch,4] -> logits [batch,3]), other weights. */
export function writeTwoVersions(dir: string): [string, string] {
  const script = path.join(dir, 'write_model.py');
  writeFileSync(script, WRITE_MODEL);
  const files: [string, string] = [path.join(dir, 'clf_a.onnx'), path.join(dir, 'clf_b.onnx')];
  files.forEach((file, i) => {
    const r = spawnSync(SYSTEM_PYTHON, [script, file, String(1 + 2 * i)], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`writing ${file}: ${r.stderr}`);
  });
  return files;
}
