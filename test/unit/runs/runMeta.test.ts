import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger';
import type { CliContext } from '../../../src/cli/cliCommand';
import { runsCommand } from '../../../src/cli/commands/runs';
import { createExperiment, experimentNames, readExperiments, renameExperiment } from '../../../src/core/runs/experiments';
import { launchRun } from '../../../src/core/runs/launchRun';
import { listWorkspaceRuns } from '../../../src/core/runs/listWorkspaceRuns';
import { formatTags, parseTags, tagEdits } from '../../../src/core/runs/runMeta';
import { RunStore } from '../../../src/core/runs/RunStore';
import { tempDir } from './runsTestSupport';

const PYTHON = '/usr/bin/python3';
const skip = existsSync(PYTHON) ? false : `needs ${PYTHON}`;
if (skip && process.env.CI === 'true') throw new Error(`CI=true and ${PYTHON} is missing: the run-metadata tests need a real Python`);

/** A real finished run of a Python script that prints two metrics and sets a tag through the helper. */
async function finishedRun(ws: string) {
  writeFileSync(
    path.join(ws, 'train.py'),
    'for i in range(3):\n    print(f"epoch={i} loss={1 / (i + 1)}", flush=True)\nprint("accuracy: 0.9")\n',
  );
  const store = new RunStore(ws);
  const handle = await launchRun({
    store,
    script: 'train.py',
    interpreter: PYTHON,
    experiment: 'baseline',
    tags: { 'mlw.sweep': 'abc', team: 'vision' },
    git: false,
  });
  const run = await handle.done;
  assert.equal(run.status, 'finished', run.error);
  return { store, run, runJson: path.join(store.runDir(run.id), 'run.json') };
}

describe('run metadata (meta.json)', { skip }, () => {
  it('renames, tags and annotates a finished run without changing a byte of its run.json; every reader sees the edits', async () => {
    const ws = tempDir();
    const { store, run, runJson } = await finishedRun(ws);
    const before = readFileSync(runJson);

    await store.updateMeta(run.id, (m) => (m.name = 'lr sweep, best'));
    const shown = await store.readRun(run.id);
    const edits = tagEdits(shown!.tags, parseTags('baseline, dataset=v2'));
    await store.updateMeta(run.id, (m) => (m.tags = edits));
    await store.updateMeta(run.id, (m) => (m.notes = 'Converged after 3 epochs.'));

    assert.deepEqual(readFileSync(runJson), before, 'run.json is unchanged byte for byte');
    const meta = JSON.parse(readFileSync(path.join(store.runDir(run.id), 'meta.json'), 'utf8'));
    assert.equal(meta.name, 'lr sweep, best');
    assert.equal(meta.tags.team, null, 'a removed tag is recorded as null');

    const read = await store.readRun(run.id);
    assert.equal(read?.name, 'lr sweep, best');
    assert.equal(read?.notes, 'Converged after 3 epochs.');
    assert.deepEqual(read?.tags, { 'mlw.sweep': 'abc', baseline: '', dataset: 'v2' }, 'system tags kept, team removed, new ones set');
    assert.equal(read?.metrics?.loss.count, 3, 'the rest of the run is as recorded');

    const listed = (await new RunStore(ws).listRuns()).find((r) => r.id === run.id);
    assert.equal(listed?.name, 'lr sweep, best', 'a fresh store lists the new name');
    assert.equal((await listWorkspaceRuns(ws, { mlflow: false }))[0].name, 'lr sweep, best');

    // `mlw runs --json`, as scripts read it.
    const out: string[] = [];
    const ctx: CliContext = {
      workspace: ws,
      json: true,
      out: (t) => void out.push(t),
      err: () => undefined,
      logger: silentLogger,
      signal: new AbortController().signal,
    };
    assert.equal(await runsCommand.run([], ctx), 0);
    const cli = JSON.parse(out.join('\n')) as Array<{ id: string; name: string }>;
    assert.equal(cli.find((r) => r.id === run.id)?.name, 'lr sweep, best');
  });

  it('a cached listing picks up a later edit, and a broken meta.json leaves the run as recorded', async () => {
    const ws = tempDir();
    const { store, run } = await finishedRun(ws);
    assert.equal((await store.listRuns())[0].name, run.name);
    await store.updateMeta(run.id, (m) => (m.name = 'renamed'));
    assert.equal((await store.listRuns())[0].name, 'renamed');
    writeFileSync(path.join(store.runDir(run.id), 'meta.json'), '{ not json');
    const listed = await store.listRuns();
    assert.equal(listed.length, 1, 'the run is still listed');
    assert.equal(listed[0].name, run.name);
  });

  it("tags as text: bare words and key=value; the tools' tags are neither offered nor accepted", () => {
    assert.equal(formatTags({ baseline: '', dataset: 'v2', 'mlw.sweep': 'x', 'mlflow.user': 'me' }), 'baseline, dataset=v2');
    assert.deepEqual(parseTags(' baseline ,dataset = v2,, '), { baseline: '', dataset: 'v2' });
    assert.throws(() => parseTags('=v'), /needs a name/);
    assert.throws(() => parseTags('mlw.sweep=1'), /set by the tools/);
    assert.deepEqual(tagEdits({ a: '1', b: '2', 'mlw.sweep': 's' }, { a: '1', c: '' }), { c: '', b: null });
  });
});

describe('experiments', { skip }, () => {
  it('New Experiment lists an experiment with no runs; renaming moves its runs through meta.json only', async () => {
    const ws = tempDir();
    const { store, run, runJson } = await finishedRun(ws);
    const before = readFileSync(runJson);
    await createExperiment(store, 'ablation');
    assert.deepEqual(await experimentNames(store), ['ablation', 'baseline']);
    await assert.rejects(createExperiment(store, 'baseline'), /already exists/);
    await assert.rejects(createExperiment(store, '  '), /cannot be empty/);

    assert.deepEqual(await renameExperiment(store, 'baseline', 'baseline v1'), [run.id]);
    assert.equal((await store.readRun(run.id))?.experiment, 'baseline v1');
    assert.deepEqual(readFileSync(runJson), before, 'run.json unchanged');

    assert.deepEqual(await renameExperiment(store, 'ablation', 'ablation-2'), [], 'an empty experiment has no runs to move');
    assert.deepEqual(
      (await readExperiments(store)).map((e) => e.name),
      ['ablation-2'],
    );
    // Renaming onto an existing name merges the two.
    assert.deepEqual(await renameExperiment(store, 'baseline v1', 'ablation-2'), [run.id]);
    assert.deepEqual(await experimentNames(store), ['ablation-2']);
    await assert.rejects(renameExperiment(store, 'nope', 'x'), /No experiment named "nope"/);
  });
});
