/**
 * What the retrain system tests share: the built CLI on a workspace, the template's data set, and drifted traffic to
 * clf@champion served with every request captured, its ground truth written as labels arriving later would be.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RegisteredModel } from '../../src/core/registry/registryTypes';
import { silentLogger } from '../../src/core/logger';
import { parseServeArgs } from '../../src/core/serve/serveArgs';
import { startServer } from '../../src/core/serve/startServer';
import { SYSTEM_PYTHON } from './requires';
import { REPO_ROOT } from '../unit/runs/runsTestSupport';
import { destroyAgent, postJson } from '../system/serve/fixtures';

export const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
export const HELPER_DIR = path.join(REPO_ROOT, 'python');
/** mean radius, mean perimeter, mean area, worst radius, worst perimeter, worst area: measured 1.6× larger now. */
export const DRIFTED = [0, 2, 3, 20, 22, 23];
export const SCALE = 1.6;

/** `mlw --workspace WS ARGS` with the built CLI; `env` entries set to undefined are removed (MLW_USER always is). */
export function mlwIn(
  ws: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): { code: number | null; out: string; err: string } {
  const e: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLW_USER: undefined, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 300_000, env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export const readModel = (ws: string, name = 'clf') =>
  JSON.parse(readFileSync(path.join(ws, '.mlw', 'registry', `${name}.json`), 'utf8')) as RegisteredModel;

/** The data set's rows and 0/1 "flag" labels, as the template's data.py reads them. */
export function breastCancer(): { x: number[][]; y: number[] } {
  const out = execFileSync(
    SYSTEM_PYTHON,
    [
      '-c',
      'import json, numpy as np\nfrom sklearn.datasets import load_breast_cancer\nd = load_breast_cancer()\n' +
        'print(json.dumps({"x": d.data.astype(np.float32).tolist(), "y": (d.target == 0).astype(int).tolist()}))',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 60_000 },
  );
  return JSON.parse(out);
}

/**
 * Every row of the data set with its DRIFTED features scaled, sent to clf@champion served from `ws` with capture 1, in
 * requests of `rowsAt(start)` rows with ids `req-K`; then `.mlw/captures/clf/ground-truth.jsonl` gets the labels of
 * each request `labelled(K)` (a number for a one-row request, an array for a batch).
 */
export async function sendDriftedTraffic(
  ws: string,
  opts: { rowsAt: (start: number) => number; labelled?: (k: number) => boolean },
): Promise<void> {
  const { x, y } = breastCancer();
  const drifted = x.map((row) => row.map((v, j) => (DRIFTED.includes(j) ? v * SCALE : v)));
  const { options } = await parseServeArgs(['clf@champion', '--port', '0', '--host', '127.0.0.1', '--capture', '1'], ws, {});
  const server = await startServer(options, silentLogger);
  const truth: string[] = [];
  try {
    for (let start = 0, k = 0; start < drifted.length; k++) {
      const n = Math.min(opts.rowsAt(start), drifted.length - start);
      const id = `req-${k}`;
      const res = await postJson(`${server.url}/v2/models/clf/infer`, {
        id,
        inputs: [{ name: 'features', shape: [n, 30], datatype: 'FP32', data: drifted.slice(start, start + n).flat() }],
      });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(JSON.parse(res.body.toString()).id, id);
      const labels = y.slice(start, start + n);
      if (opts.labelled?.(k) ?? true) truth.push(JSON.stringify({ id, label: n === 1 ? labels[0] : labels }));
      start += n;
    }
  } finally {
    await server.close();
    destroyAgent();
  }
  writeFileSync(path.join(ws, '.mlw', 'captures', 'clf', 'ground-truth.jsonl'), truth.join('\n') + '\n');
}
