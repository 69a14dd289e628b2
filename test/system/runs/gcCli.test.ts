/**
 * `mlw gc` and `mlw run --snapshot-max-bytes` through the built CLI (dist/mlw.js), with real /usr/bin/python3 runs:
 * after a run is deleted, gc frees exactly the snapshots only that run used.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { Run } from '../../../src/core/runs/runTypes';
import type { GcResult } from '../../../src/core/runs/snapshot/collectGarbage';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');

const TRAIN = `import sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
with open("unique.onnx", "wb") as f:
    f.write(args["tag"].encode() * 100000)
with open("shared.onnx", "wb") as f:
    f.write(b"the same bytes in every run")
`;

function mlw(ws: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function blobs(ws: string): string[] {
  const root = path.join(ws, '.mlw', 'blobs', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((d) => readdirSync(path.join(root, d)).map((f) => `.mlw/blobs/sha256/${d}/${f}`))
    .sort();
}

function run(ws: string, tag: string, extra: string[] = []): { run: Run; err: string } {
  const r = mlw(ws, ['run', 'train.py', '--python', SYSTEM_PYTHON, '--no-git', '--param', `tag=${tag}`, ...extra, '--json']);
  assert.equal(r.code, 0, r.err);
  return { run: JSON.parse(r.out) as Run, err: r.err };
}

const stored = (r: Run, file: string) => r.artifacts.find((a) => a.path === file)?.stored ?? '';

describe('mlw gc', () => {
  it('after a run is deleted, removes exactly the blobs only it used and says what it freed', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-gc-');
    writeFileSync(path.join(ws, 'train.py'), TRAIN);
    const a = run(ws, 'A').run;
    const b = run(ws, 'B').run;
    assert.equal(stored(a, 'shared.onnx'), stored(b, 'shared.onnx'), 'identical artifacts share one blob');
    assert.deepEqual(blobs(ws), [stored(a, 'unique.onnx'), stored(b, 'unique.onnx'), stored(a, 'shared.onnx')].sort());

    const nothing = mlw(ws, ['gc']);
    assert.equal(nothing.code, 0, nothing.err);
    assert.equal(nothing.out.trim(), 'removed 0 blobs, freed 0.0 MB (0 bytes)');

    await new RunStore(ws).deleteRun(a.id);
    const dry = mlw(ws, ['gc', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.err);
    const planned = JSON.parse(dry.out) as GcResult;
    assert.deepEqual(
      planned.removed.map((x) => x.stored),
      [stored(a, 'unique.onnx')],
    );
    assert.equal(planned.freedBytes, 100000);
    assert.equal(blobs(ws).length, 3, '--dry-run removes nothing');

    const gc = mlw(ws, ['gc']);
    assert.equal(gc.code, 0, gc.err);
    assert.equal(gc.out.trim(), 'removed 1 blob, freed 0.1 MB (100000 bytes)');
    assert.deepEqual(blobs(ws), [stored(b, 'unique.onnx'), stored(b, 'shared.onnx')].sort());
    assert.equal(readFileSync(path.join(ws, stored(b, 'unique.onnx')), 'utf8'), 'B'.repeat(100000), "run B's snapshots are intact");
    const again = JSON.parse(mlw(ws, ['gc', '--json']).out) as GcResult;
    assert.deepEqual(again.removed, []);
    assert.equal(again.kept, 2);

    // A run folder gc cannot read: it cannot tell what that run uses, so it removes nothing, and says what to do.
    await new RunStore(ws).deleteRun(b.id);
    mkdirSync(path.join(ws, '.mlw', 'runs', '20240101-000000-000-broken'));
    writeFileSync(path.join(ws, '.mlw', 'runs', '20240101-000000-000-broken', 'run.json'), '{"id": ');
    const refused = mlw(ws, ['gc']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /gc removed nothing: cannot read run\.json of 20240101-000000-000-broken .* Restore or delete that run folder/,
    );
    assert.equal(blobs(ws).length, 2);
  });

  it('mlw run --snapshot-max-bytes records larger artifacts by hash only and says so; help and bad values', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install -y python3')) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-gc-');
    writeFileSync(path.join(ws, 'train.py'), TRAIN);
    const { run: r, err } = run(ws, 'C', ['--snapshot-max-bytes', '1000']);
    const big = r.artifacts.find((x) => x.path === 'unique.onnx');
    assert.equal(big?.snapshot, 'skipped-too-large');
    assert.equal(big?.stored, undefined);
    assert.equal(big?.size, 100000);
    assert.match(err, /mlw: unique\.onnx \(97\.7 KB\) recorded by sha256 only, not snapshotted: larger than the snapshot limit of 1000 B/);
    assert.match(stored(r, 'shared.onnx'), /^\.mlw\/blobs\//, 'the small artifact is snapshotted');
    assert.equal(statSync(path.join(ws, stored(r, 'shared.onnx'))).mode & 0o777, 0o444);

    const bad = mlw(ws, ['run', 'train.py', '--snapshot-max-bytes', '2GB']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--snapshot-max-bytes must be a whole number of bytes \(0 = no limit\), not 2GB/);
    const help = mlw(ws, ['gc', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^mlw gc \[--dry-run\] \[--json\]/);
    assert.match(mlw(ws, ['--help']).out, /\n\s+gc\s+Remove artifact snapshots no run references/);
    assert.match(mlw(ws, ['sweep', '--help']).out, /--snapshot-max-bytes N/);
  });
});
