/**
 * Recent data for retraining: the captured requests of a served model joined with their ground truth by request id,
 * shuffled with a fixed seed and split into train and holdout rows, written as a new dataset folder
 *   .mlw/retrain/<name>/<UTC stamp>/train/<input>.npy, train/labels.npy, holdout/<input>.npy, holdout/labels.npy,
 *   manifest.json
 * Inputs keep the type they were captured with; labels are float32. A folder is never rewritten: each export makes a
 * new one (its files are created exclusively), so a run's data does not change after it ends.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeNpyOf } from '../../ort/writeNpy';
import type { NpyType } from '../../ort/parseNpy';
import { seededRandom } from '../../random/seededRandom';
import { CAPTURE_DIR } from '../../serve/capture/captureArgs';
import { safeName } from '../../serve/capture/modelCapture';
import { RegistryError } from '../RegistryStore';
import { readCapturedRequests, type CapturedRequest } from './readCapturedRequests';
import { GROUND_TRUTH_FILE, GROUND_TRUTH_LINE, readGroundTruth } from './readGroundTruth';

export const RETRAIN_DIR = path.join('.mlw', 'retrain');
export const LABELS_FILE = 'labels.npy';

export interface ExportOptions {
  workspace: string;
  /** The registered (and served) model name: captures are read from `<capturesDir>/<name>/`. */
  name: string;
  /** Fraction of the labelled rows held out for evaluation (default 0.3). */
  holdout?: number;
  /** Shuffle seed (default 42). */
  seed?: number;
  /** Default `<workspace>/.mlw/captures`. */
  capturesDir?: string;
  /** The served model name whose captures to read, when it is not `name` (a file served under its own name). */
  served?: string;
  now?: Date;
}

export interface RecentDataset {
  model: string;
  /** The dataset folder, absolute, and relative to the workspace (forward slashes). */
  dir: string;
  path: string;
  trainDir: string;
  holdoutDir: string;
  chunks: string[];
  requests: { captured: number; labelled: number; unlabelled: number };
  rows: { captured: number; labelled: number; unlabelled: number; mismatched: number; train: number; holdout: number };
  inputs: Array<{ name: string; file: string; type: NpyType; shape: number[] }>;
  seed: number;
  holdoutFraction: number;
  /** What the holdout's evaluations name: its folder and the sha256 of its files' listing (see manifest.json). */
  holdoutData: { path: string; sha256: string };
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const slash = (p: string) => p.split(path.sep).join('/');

/** `20261204T201500Z`: the folder name of an export. */
const stampOf = (d: Date) =>
  d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');

/** A new folder under `parent`: `<stamp>`, or `<stamp>-2`, ... when one export already took the name. */
async function newFolder(parent: string, stamp: string): Promise<string> {
  await fsp.mkdir(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = path.join(parent, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      await fsp.mkdir(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

const bytesOf = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

export async function exportRecentData(o: ExportOptions): Promise<RecentDataset> {
  const holdoutFraction = o.holdout ?? 0.3;
  if (!(holdoutFraction > 0 && holdoutFraction < 1))
    throw new RegistryError(`--holdout must be a fraction in (0, 1), e.g. 0.3, got ${o.holdout}`);
  const seed = o.seed ?? 42;
  const workspace = path.resolve(o.workspace);
  const capturesRoot = o.capturesDir ? path.resolve(workspace, o.capturesDir) : path.join(workspace, CAPTURE_DIR);
  const served = o.served ?? o.name;
  const dir = path.join(capturesRoot, safeName(served));
  const shown = (p: string) => slash(path.relative(workspace, p).startsWith('..') ? p : path.relative(workspace, p));
  const captured = await readCapturedRequests(dir);
  if (!captured.requests.length)
    throw new RegistryError(
      `No captured requests for ${served} in ${shown(dir)}: serve it with --capture 0.1 (or the Capture setting) first`,
    );
  const gtFile = path.join(dir, GROUND_TRUTH_FILE);
  const truth = await readGroundTruth(gtFile, shown(gtFile));
  const withId = captured.requests.filter((r) => r.id !== null);
  const example = withId[0]?.id ?? 'REQUEST_ID';
  if (!truth)
    throw new RegistryError(
      `No ground truth for ${o.name}: write ${shown(gtFile)}, one line ${GROUND_TRUTH_LINE} per captured request (${captured.requests.length} captured, e.g. id "${example}")`,
    );

  // The input layout of the first labelled request is the dataset's; a request of another layout is left out.
  const layout = (r: CapturedRequest) => r.inputs.map((i) => `${i.name}:${i.type}:${i.inner.join('x')}`).join(',');
  let key: string | undefined;
  const used: Array<{ request: CapturedRequest; labels: number[] }> = [];
  let mismatched = 0;
  let unlabelledRows = 0;
  let unlabelledRequests = 0;
  for (const r of captured.requests) {
    const labels = r.id !== null ? truth.get(r.id) : undefined;
    if (!labels) {
      unlabelledRows += r.rows;
      unlabelledRequests++;
      continue;
    }
    if (labels.length !== r.rows || (key !== undefined && layout(r) !== key)) {
      mismatched += r.rows;
      continue;
    }
    key ??= layout(r);
    used.push({ request: r, labels });
  }
  const capturedRows = captured.requests.reduce((n, r) => n + r.rows, 0);
  const labelledRows = used.reduce((n, u) => n + u.request.rows, 0);
  if (labelledRows < 2)
    throw new RegistryError(
      `${labelledRows === 0 ? 'None' : 'Only 1'} of the ${capturedRows} captured rows of ${o.name} has ground truth in ${shown(gtFile)}${mismatched ? ` (${mismatched} rows have a label count other than their request's rows)` : ''}: add a line ${GROUND_TRUTH_LINE} per request, keyed by its id (e.g. "${example}")`,
    );

  // Rows, shuffled with the seed (Fisher-Yates), then the first ones held out.
  const order: Array<[number, number]> = [];
  used.forEach((u, i) => {
    for (let r = 0; r < u.request.rows; r++) order.push([i, r]);
  });
  const random = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const holdoutRows = Math.min(order.length - 1, Math.max(1, Math.round(order.length * holdoutFraction)));
  const splits = { holdout: order.slice(0, holdoutRows), train: order.slice(holdoutRows) };

  const out = await newFolder(path.join(workspace, RETRAIN_DIR, safeName(o.name)), stampOf(o.now ?? new Date()));
  const first = used[0].request;
  const inputs = first.inputs.map((i, k) => ({ name: i.name, file: `${safeName(i.name)}.npy`, type: i.type, shape: i.inner, k }));
  const hashes: Record<'train' | 'holdout', Record<string, string>> = { train: {}, holdout: {} };
  for (const split of ['train', 'holdout'] as const) {
    const rows = splits[split];
    await fsp.mkdir(path.join(out, split));
    const write = async (file: string, data: Buffer) => {
      await fsp.writeFile(path.join(out, split, file), data, { flag: 'wx' });
      hashes[split][file] = sha256(data);
    };
    for (const input of inputs) {
      const rowBytes = bytesOf(first.inputs[input.k].values).length / first.rows;
      const buf = Buffer.alloc(rowBytes * rows.length);
      rows.forEach(([u, r], n) => {
        const src = bytesOf(used[u].request.inputs[input.k].values);
        buf.set(src.subarray(r * rowBytes, (r + 1) * rowBytes), n * rowBytes);
      });
      const aligned = new Uint8Array(buf.length);
      aligned.set(buf);
      await write(input.file, writeNpyOf(input.type, aligned, [rows.length, ...input.shape]));
    }
    const labels = Float32Array.from(rows, ([u, r]) => used[u].labels[r]);
    await write(LABELS_FILE, writeNpyOf('float32', labels, [rows.length]));
  }
  // The holdout's identity: the sha256 of its files' listing (`<sha256>  <file>` lines, sorted by file).
  const listing = Object.entries(hashes.holdout)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([f, h]) => `${h}  ${f}\n`)
    .join('');
  const rel = shown(out);
  const dataset: RecentDataset = {
    model: o.name,
    dir: out,
    path: rel,
    trainDir: path.join(out, 'train'),
    holdoutDir: path.join(out, 'holdout'),
    chunks: captured.chunks,
    requests: { captured: captured.requests.length, labelled: used.length, unlabelled: unlabelledRequests },
    rows: {
      captured: capturedRows,
      labelled: labelledRows,
      unlabelled: unlabelledRows,
      mismatched,
      train: splits.train.length,
      holdout: splits.holdout.length,
    },
    inputs: inputs.map(({ name, file, type, shape }) => ({ name, file, type, shape })),
    seed,
    holdoutFraction,
    holdoutData: { path: `${rel}/holdout`, sha256: sha256(listing) },
  };
  const manifest = {
    model: o.name,
    createdAt: (o.now ?? new Date()).toISOString(),
    captures: shown(dir),
    chunks: dataset.chunks,
    groundTruth: shown(gtFile),
    requests: dataset.requests,
    rows: dataset.rows,
    seed,
    holdout: holdoutFraction,
    inputs: dataset.inputs,
    labels: { file: LABELS_FILE, type: 'float32' },
    files: { train: hashes.train, holdout: hashes.holdout },
    holdoutSha256: dataset.holdoutData.sha256,
  };
  await fsp.writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  return dataset;
}
