/**
 * Every run keeps its artifacts: real /usr/bin/python3 training scripts write model.onnx, a later run
 * rewrites it in place (open(..., 'wb'), as torch.save and onnx.save do), and the first run's snapshot
 * still holds the first run's bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, writeSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { Run } from '../../../src/core/runs/runTypes';
import { locateArtifact } from '../../../src/core/runs/snapshot/locateArtifact';
import { snapshotToBlob } from '../../../src/core/runs/snapshot/snapshotToBlob';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from './runsTestSupport';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A training script that writes `model.onnx` (in place, same file) from the `--tag` param, and optionally logs it with a copy. */
const TRAIN = `import sys, mlw_run
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
with open("model.onnx", "wb") as f:
    f.write(("weights of " + args["tag"] + "\\n").encode() * int(args.get("repeat", "1")))
if args.get("copy") == "1":
    mlw_run.log_artifact("model.onnx", copy=True, name="copied.onnx")
print("loss=0.5", flush=True)
`;

async function train(store: RunStore, params: Record<string, string | number>, extra = {}): Promise<Run> {
  const handle = await launchRun({
    store,
    script: 'train.py',
    interpreter: SYSTEM_PYTHON,
    params,
    git: false,
    helperDir: path.join(REPO_ROOT, 'python'),
    ...extra,
  });
  const run = await handle.done;
  assert.equal(run.status, 'finished', run.outputTail);
  return run;
}

function blobFiles(store: RunStore): string[] {
  const root = path.join(store.blobsDir, 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));
}

function workspace(): { ws: string; store: RunStore } {
  const ws = tempDir('mlw-snap-');
  writeFileSync(path.join(ws, 'train.py'), TRAIN);
  return { ws, store: new RunStore(ws) };
}

describe('artifact snapshots', () => {
  it('run 2 rewriting model.onnx in place leaves run 1 its own bytes and sha256', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    const { ws, store } = workspace();
    const run1 = await train(store, { tag: 'run-1' });
    const ino = statSync(path.join(ws, 'model.onnx')).ino;
    const run2 = await train(store, { tag: 'run-2', repeat: 2 });
    assert.equal(statSync(path.join(ws, 'model.onnx')).ino, ino, 'the script rewrote the same file, as open("wb") does');

    const bytes1 = Buffer.from('weights of run-1\n');
    const [a1] = run1.artifacts;
    assert.equal(a1.path, 'model.onnx');
    assert.equal(a1.sha256, sha(bytes1));
    assert.equal(a1.size, bytes1.length);
    assert.match(a1.stored ?? '', /^\.mlw\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}\.onnx$/);
    assert.deepEqual(readFileSync(path.join(ws, a1.stored ?? '')), bytes1, "run 1's snapshot has run 1's bytes");
    assert.equal(sha(readFileSync(path.join(ws, a1.stored ?? ''))), a1.sha256);
    // run.json on disk says the same
    assert.equal((await store.readRun(run1.id))?.artifacts[0].stored, a1.stored);

    const [a2] = run2.artifacts;
    assert.notEqual(a2.stored, a1.stored);
    assert.equal(readFileSync(path.join(ws, a2.stored ?? ''), 'utf8'), 'weights of run-2\n'.repeat(2));
    assert.equal(readFileSync(path.join(ws, 'model.onnx'), 'utf8'), 'weights of run-2\n'.repeat(2));

    // What Open / Serve / Containerize / Compare use: run 1's bytes, under the run's folder, named model.onnx.
    const loc = await locateArtifact(store, run1, a1, ws);
    assert.equal(loc?.kind, 'snapshot');
    assert.equal(loc?.note, `snapshot of run ${run1.name}`);
    assert.equal(path.basename(loc?.file ?? ''), 'model.onnx');
    assert.ok(loc?.file.startsWith(store.runDir(run1.id) + path.sep), loc?.file);
    assert.deepEqual(readFileSync(loc?.file ?? ''), bytes1);
  });

  it('keeps identical artifacts once, read-only', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    const { store } = workspace();
    const a = await train(store, { tag: 'same' });
    const b = await train(store, { tag: 'same' });
    assert.equal(a.artifacts[0].stored, b.artifacts[0].stored);
    const blobs = blobFiles(store);
    assert.equal(blobs.length, 1, 'one blob for two identical artifacts');
    assert.equal(statSync(blobs[0]).mode & 0o777, 0o444, 'snapshots are read-only');
    assert.deepEqual(readdirSync(path.join(store.blobsDir, 'tmp')), [], 'no temporary file left behind');
  });

  it('snapshots a copy the script logged into the run folder, without a second copy where hard links work', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    const { ws, store } = workspace();
    const run = await train(store, { tag: 'copied', copy: 1 });
    const copied = run.artifacts.find((x) => x.path === 'model.onnx' && x.stored);
    assert.ok(copied, JSON.stringify(run.artifacts));
    const copy = path.join(store.runDir(run.id), 'artifacts', 'copied.onnx');
    const blob = path.join(ws, copied.stored ?? '');
    assert.equal(readFileSync(blob, 'utf8'), 'weights of copied\n');
    // The run's own copy is only ever replaced (helper: temp file + rename), so the blob may share it.
    assert.equal(statSync(blob).ino, statSync(copy).ino);
    assert.equal(statSync(copy).mode & 0o777, 0o444, "the run's copy is read-only too");
  });

  it('records an artifact over the size limit by hash only, and says so in the output', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    const { ws, store } = workspace();
    const out: string[] = [];
    const run = await train(store, { tag: 'big', repeat: 100 }, { snapshotMaxBytes: 1000, onOutput: (text: string) => out.push(text) });
    const [a] = run.artifacts;
    assert.equal(a.snapshot, 'skipped-too-large');
    assert.equal(a.stored, undefined);
    assert.equal(a.size, 1500);
    assert.equal(a.sha256, sha(readFileSync(path.join(ws, 'model.onnx'))));
    assert.deepEqual(blobFiles(store), []);
    const line = out
      .join('')
      .split('\n')
      .find((l) => l.includes('recorded by sha256 only'));
    assert.ok(line, out.join(''));
    assert.match(line, /^mlw: model\.onnx \(1\.5 KB\) recorded by sha256 only, not snapshotted: larger than the snapshot limit of 1000 B/);
    assert.ok(readFileSync(path.join(store.runDir(run.id), 'stdout.log'), 'utf8').includes(line), 'the line is in the run output');
    const loc = await locateArtifact(store, run, a, ws);
    assert.equal(loc?.kind, 'current');
    assert.match(loc?.note ?? '', /too large to snapshot/);

    const unlimited = await train(store, { tag: 'big', repeat: 100 }, { snapshotMaxBytes: 0 });
    assert.match(unlimited.artifacts[0].stored ?? '', /^\.mlw\/blobs\//, '0 = no limit');
  });

  it('never hard links a workspace file: a later in-place write cannot reach the snapshot', async () => {
    const dir = tempDir('mlw-blob-');
    const src = path.join(dir, 'model.onnx');
    writeFileSync(src, 'original bytes');
    const snap = await snapshotToBlob(src, path.join(dir, 'blobs'));
    assert.ok(snap.method === 'reflink' || snap.method === 'copy', snap.method);
    assert.notEqual(statSync(snap.file).ino, statSync(src).ino);
    const fd = openSync(src, 'r+'); // rewrite in place, same inode
    writeSync(fd, 'REWRITTEN', 0);
    closeSync(fd);
    assert.equal(readFileSync(snap.file, 'utf8'), 'original bytes');
    assert.equal(snap.sha256, sha('original bytes'));

    // A file that is only ever replaced may be linked (the run's own copies), or cloned where the filesystem can.
    const owned = path.join(dir, 'owned.onnx');
    writeFileSync(owned, 'owned bytes');
    const linked = await snapshotToBlob(owned, path.join(dir, 'blobs'), { allowHardLink: true });
    assert.ok(linked.method === 'reflink' || linked.method === 'hardlink', linked.method);
    const again = await snapshotToBlob(owned, path.join(dir, 'blobs'), { allowHardLink: true });
    assert.equal(again.method, 'existing');
    assert.equal(again.file, linked.file);
  });
});
