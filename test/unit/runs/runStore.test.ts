import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, promises as fsp, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { RunStore } from '../../../src/core/runs/RunStore';
import { makeRun } from '../../../src/core/runs/makeRun';
import { newRunId, isGeneratedRunId, isSafeRunId } from '../../../src/core/runs/runId';
import { processIdentity, HEARTBEAT_STALE_MS } from '../../../src/core/runs/processLiveness';
import { PathEscapeError, resolveInside, sanitizeName } from '../../../src/core/runs/safePath';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { compiled, tempDir } from './runsTestSupport';

describe('run ids', () => {
  it('are unique, well-formed and sort by creation time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(newRunId());
    assert.equal(ids.size, 5000);
    for (const id of ids) assert.ok(isGeneratedRunId(id) && isSafeRunId(id), id);
    const a = newRunId(new Date(Date.UTC(2024, 0, 1, 23, 59, 59, 999)));
    const b = newRunId(new Date(Date.UTC(2024, 0, 2, 0, 0, 0, 0)));
    assert.ok(a < b, `${a} < ${b}`);
  });

  it('refuses ids that are not one safe path segment', () => {
    for (const bad of ['', '..', '../x', 'a/b', 'a\\b', '/abs', '.hidden', 'a..b', 'x\0y']) assert.equal(isSafeRunId(bad), false, bad);
    const store = new RunStore(tempDir());
    assert.throws(() => store.runDir('../../etc'), PathEscapeError);
    assert.throws(() => store.runDir('/etc'), PathEscapeError);
  });
});

describe('RunStore', () => {
  it('creates, reads and updates runs; run.json is replaced atomically', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    const run = await store.createRun({ name: 'first', experiment: 'exp', params: { lr: 0.1 }, status: 'finished' });
    assert.ok(existsSync(path.join(ws, '.mlw', 'runs', '.gitignore')));
    const read = await store.readRun(run.id);
    assert.equal(read?.name, 'first');
    assert.deepEqual(read?.params, { lr: 0.1 });
    await assert.rejects(store.createRun({ id: run.id }), /EEXIST/);

    // A reader polling while the run is rewritten many times always sees a complete run.json.
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const text = await fsp.readFile(path.join(store.runDir(run.id), 'run.json'), 'utf8');
        assert.doesNotThrow(() => JSON.parse(text));
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 200; i++) await store.updateRun(run.id, (r) => void (r.notes = 'x'.repeat(i * 50)));
    stop = true;
    await reader;
    assert.ok(reads > 0);
    assert.deepEqual(
      readdirSync(store.runDir(run.id)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary files left',
    );
    assert.equal((await store.readRun(run.id))?.notes.length, 199 * 50);
  });

  it('lists runs newest first, skipping corrupt run.json, foreign folders and symlinked folders', async () => {
    const ws = tempDir();
    const outside = tempDir();
    const store = new RunStore(ws);
    const ids = ['20240101-000000-000-aaaaaa', '20250101-000000-000-bbbbbb', '20230101-000000-000-cccccc'];
    for (const id of ids) await store.createRun({ id, status: 'finished' });
    mkdirSync(path.join(store.dir, 'not-a-run'));
    mkdirSync(path.join(store.dir, '20220101-000000-000-corrup'));
    writeFileSync(path.join(store.dir, '20220101-000000-000-corrup', 'run.json'), '{"id": "20220101-000000-000-corrup", "stat');
    mkdirSync(path.join(outside, 'evil'));
    writeFileSync(path.join(outside, 'evil', 'run.json'), JSON.stringify(makeRun({ id: 'evil', status: 'finished' })));
    symlinkSync(path.join(outside, 'evil'), path.join(store.dir, 'evil'));
    const warnings: string[] = [];
    const logged = new RunStore(ws, { trace() {}, debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} });
    const runs = await logged.listRuns();
    assert.deepEqual(
      runs.map((r) => r.id),
      [ids[1], ids[0], ids[2]],
    );
    assert.ok(warnings.some((w) => w.includes('corrup')));
    // and a second listing (from the cache) sees changes
    await logged.updateRun(ids[0], (r) => void (r.name = 'renamed'));
    assert.equal((await logged.listRuns()).find((r) => r.id === ids[0])?.name, 'renamed');
    await logged.deleteRun(ids[2]);
    assert.equal((await logged.listRuns()).length, 2);
  });

  it('never writes through a run folder that is a link out of the store', async () => {
    const ws = tempDir();
    const outside = tempDir();
    const store = new RunStore(ws);
    await store.ensure();
    symlinkSync(outside, path.join(store.dir, '20240101-000000-000-linked'));
    await assert.rejects(store.writeRun(makeRun({ id: '20240101-000000-000-linked' })), PathEscapeError);
    assert.equal(existsSync(path.join(outside, 'run.json')), false);
  });

  it('keeps copied artifacts inside the run folder whatever their name', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    const run = await store.createRun({ cwd: ws, status: 'running' });
    writeFileSync(path.join(ws, 'model.onnx'), 'weights');
    const rec = await store.addArtifact(run.id, 'model.onnx', { copy: true, name: '../../../escape.onnx' });
    // `stored`: the snapshot in the content-addressed store, relative to the workspace
    assert.match(rec.stored ?? '', /^\.mlw\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}\.onnx$/);
    assert.equal(rec.path, 'model.onnx');
    assert.equal(rec.size, 7);
    assert.ok(existsSync(path.join(store.runDir(run.id), 'artifacts', '_.._.._escape.onnx')));
    assert.equal(existsSync(path.join(ws, 'escape.onnx')), false);
    writeFileSync(path.join(ws, 'model.onnx'), 'weights v2');
    const again = await store.addArtifact(run.id, path.join(ws, 'model.onnx'));
    assert.notEqual(again.stored, rec.stored);
    assert.equal((await store.readRun(run.id))?.artifacts.length, 2);

    // artifacts/ replaced by a link to elsewhere: refused
    const outside = tempDir();
    const run2 = await store.createRun({ cwd: ws, status: 'running' });
    symlinkSync(outside, path.join(store.runDir(run2.id), 'artifacts'));
    await assert.rejects(store.addArtifact(run2.id, 'model.onnx', { copy: true }), PathEscapeError);
    assert.deepEqual(readdirSync(outside), []);
  });

  it('resolveInside rejects absolute paths, .. and symlink escapes; sanitizeName makes one safe segment', async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(path.join(root, 'sub'));
    symlinkSync(outside, path.join(root, 'link'));
    assert.equal(await resolveInside(root, 'sub/file.txt'), path.join(root, 'sub', 'file.txt'));
    assert.equal(await resolveInside(root, 'new/deeper/file'), path.join(root, 'new', 'deeper', 'file'));
    await assert.rejects(resolveInside(root, '../x'), PathEscapeError);
    await assert.rejects(resolveInside(root, 'sub/../../x'), PathEscapeError);
    await assert.rejects(resolveInside(root, '/etc/passwd'), PathEscapeError);
    await assert.rejects(resolveInside(root, 'C:\\Windows'), PathEscapeError);
    await assert.rejects(resolveInside(root, 'link/file'), PathEscapeError);
    await assert.rejects(resolveInside(root, 'link/new/deeper'), PathEscapeError);
    assert.equal(sanitizeName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(sanitizeName('..'), 'unnamed');
    assert.equal(sanitizeName('a/b\\c:d'), 'a_b_c_d');
    assert.equal(sanitizeName('CON'), '_CON');
    assert.equal(sanitizeName('.hidden'), 'hidden');
    assert.ok(sanitizeName('x'.repeat(500)).length <= 100);
  });
});

describe('interrupted runs', () => {
  function deadProcessIdentity() {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        'process.stdout.write(JSON.stringify(require(process.argv[1]).processIdentity()))',
        compiled('src/core/runs/processLiveness.js'),
      ],
      { encoding: 'utf8' },
    );
    return JSON.parse(child.stdout) as ReturnType<typeof processIdentity>;
  }

  it('shows a running run whose launcher is gone as interrupted, a live one as running', async () => {
    const store = new RunStore(tempDir());
    const dead = deadProcessIdentity();
    const a = await store.createRun({ status: 'running', owner: { launcher: dead } });
    const b = await store.createRun({ status: 'running', owner: { launcher: processIdentity() } });
    const q = await store.createRun({ status: 'queued', owner: { launcher: dead } });
    const byId = new Map((await store.listRuns()).map((r) => [r.id, r]));
    assert.equal(byId.get(a.id)?.status, 'interrupted');
    assert.match(byId.get(a.id)?.error ?? '', /is gone/);
    assert.equal(byId.get(b.id)?.status, 'running');
    assert.equal(byId.get(q.id)?.status, 'interrupted');
    assert.equal((await store.readRun(a.id))?.status, 'interrupted');
    assert.equal((await store.readRawRun(a.id))?.status, 'running', 'the stored status is not rewritten by readers');
  });

  it('tells a reused pid apart by its start time, and a reboot by the boot id', async () => {
    const store = new RunStore(tempDir());
    const me = processIdentity();
    const reused = await store.createRun({ status: 'running', owner: { launcher: { ...me, startTicks: (me.startTicks ?? 0) + 12345 } } });
    const rebooted = await store.createRun({ status: 'running', owner: { launcher: { ...me, bootId: 'another-boot' } } });
    const runs = new Map((await store.listRuns()).map((r) => [r.id, r.status]));
    if (me.startTicks !== undefined) assert.equal(runs.get(reused.id), 'interrupted');
    if (me.bootId !== undefined) assert.equal(runs.get(rebooted.id), 'interrupted');
  });

  it('on another host, relies on the heartbeat file', async () => {
    const store = new RunStore(tempDir());
    const remote = { pid: 1, host: `${os.hostname()}-elsewhere` };
    const fresh = await store.createRun({ status: 'running', owner: { launcher: remote } });
    const stale = await store.createRun({ status: 'running', owner: { launcher: remote } });
    await store.touchHeartbeat(fresh.id);
    await store.touchHeartbeat(stale.id);
    const old = (Date.now() - HEARTBEAT_STALE_MS - 60_000) / 1000;
    utimesSync(path.join(store.runDir(stale.id), 'heartbeat'), old, old);
    const runs = new Map((await store.listRuns()).map((r) => [r.id, r.status]));
    assert.equal(runs.get(fresh.id), 'running');
    assert.equal(runs.get(stale.id), 'interrupted');
  });
});

describe('concurrent writers', () => {
  it('several processes writing their own runs at once never corrupt each other', async () => {
    const ws = tempDir();
    const writers = 4;
    const points = 3000;
    const code = `
      const { RunStore } = require(${JSON.stringify(compiled('src/core/runs/RunStore.js'))});
      const { MetricsWriter } = require(${JSON.stringify(compiled('src/core/runs/MetricsWriter.js'))});
      const path = require('node:path');
      (async () => {
        const store = new RunStore(process.argv[1]);
        const run = await store.createRun({ status: 'running', name: 'w' + process.argv[2] });
        const w = await MetricsWriter.open(path.join(store.runDir(run.id), 'metrics.jsonl'));
        for (let i = 0; i < ${points}; i += 100) {
          const batch = [];
          for (let j = i; j < i + 100; j++) batch.push({ k: 'loss', v: j / 7, s: j }, { k: 'w' + process.argv[2], v: j });
          await w.append(batch);
          if (i % 1000 === 0) await store.updateRun(run.id, (r) => { r.notes = 'at ' + i; });
        }
        await w.close();
        await store.updateRun(run.id, (r) => { r.status = 'finished'; });
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const exits = await Promise.all(
      Array.from(
        { length: writers },
        (_, n) =>
          new Promise<number | null>((resolve) =>
            spawn(process.execPath, ['-e', code, ws, String(n)], { stdio: 'inherit' }).on('exit', resolve),
          ),
      ),
    );
    assert.deepEqual(exits, Array(writers).fill(0));
    const store = new RunStore(ws);
    const runs = await store.listRuns();
    assert.equal(runs.length, writers);
    for (const run of runs) {
      assert.equal(run.status, 'finished');
      const m = await readMetrics(store.runDir(run.id));
      assert.equal(m.skippedLines, 0);
      assert.equal(m.series.get('loss')?.values.length, points);
      assert.equal(m.series.size, 2, 'only its own metrics');
    }
  });

  it('two processes appending whole lines to the same metrics file (helper + launcher) interleave only whole lines', async () => {
    const dir = tempDir();
    const code = `
      const { MetricsWriter } = require(${JSON.stringify(compiled('src/core/runs/MetricsWriter.js'))});
      (async () => {
        const w = await MetricsWriter.open(process.argv[1]);
        for (let i = 0; i < 200; i++) {
          const batch = [];
          for (let j = 0; j < 50; j++) batch.push({ k: process.argv[2], v: i * 50 + j, s: i * 50 + j });
          await w.append(batch);
        }
        await w.close();
      })();`;
    const file = path.join(dir, 'metrics.jsonl');
    await Promise.all(
      ['a', 'b', 'c'].map((k) => new Promise((resolve) => spawn(process.execPath, ['-e', code, file, k]).on('exit', resolve))),
    );
    const m = await readMetrics(dir);
    assert.equal(m.skippedLines, 0);
    for (const k of ['a', 'b', 'c']) {
      const s = m.series.get(k);
      assert.equal(s?.values.length, 10_000);
      assert.deepEqual(
        Array.from(s?.values ?? []),
        Array.from({ length: 10_000 }, (_, i) => i),
        `${k} in order`,
      );
    }
  });
});
