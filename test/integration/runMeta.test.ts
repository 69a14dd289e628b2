import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

interface StoredRun {
  id: string;
  name: string;
  status: string;
  experiment: string;
  tags: Record<string, string>;
  notes: string;
}

const runDir = (workspace: string, id: string) => path.join(workspace, '.mlw', 'runs', id);

describe('run names, tags, notes and experiments', () => {
  let workspace: string;
  let run: StoredRun;
  const experiment = `meta-${Date.now().toString(36)}`;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    workspace = folder.uri.fsPath;
    const script = path.join(workspace, 'final_metrics.py');
    await fsp.writeFile(script, 'for e in range(3):\n    print(f"epoch={e} loss={1 / (e + 1)}")\nprint("accuracy=0.91 f1=0.88")\n');
    run = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', vscode.Uri.file(script), {
      wait: true,
      experiment,
    })) as StoredRun;
    assert.equal(run?.status, 'finished');
    assert.equal(run.experiment, experiment);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
  });

  it('renames a finished run, tags it and adds notes: meta.json holds the edits, run.json is unchanged byte for byte', async () => {
    const runJson = path.join(runDir(workspace, run.id), 'run.json');
    const before = await fsp.readFile(runJson);

    assert.equal(await vscode.commands.executeCommand('mlWorkbench.renameRun', run.id, '  best so far  '), 'best so far');
    const tags = (await vscode.commands.executeCommand('mlWorkbench.editRunTags', run.id, 'baseline, dataset=v2')) as Record<
      string,
      string
    >;
    assert.equal(tags.baseline, '');
    assert.equal(tags.dataset, 'v2');
    assert.equal(
      await vscode.commands.executeCommand('mlWorkbench.editRunNotes', run.id, 'Loss still falling at epoch 3.'),
      'Loss still falling at epoch 3.',
    );

    assert.deepEqual(await fsp.readFile(runJson), before, 'run.json is unchanged');
    const meta = JSON.parse(await fsp.readFile(path.join(runDir(workspace, run.id), 'meta.json'), 'utf8'));
    assert.equal(meta.name, 'best so far');
    assert.deepEqual(meta.tags, { baseline: '', dataset: 'v2' });
    assert.equal(meta.notes, 'Loss still falling at epoch 3.');

    // The dashboard opens under the new name.
    await vscode.commands.executeCommand('mlWorkbench.openRunDashboard', run.id);
    const tab = await waitFor('the dashboard tab with the new name', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.label === 'Run: best so far' && t.input instanceof vscode.TabInputWebview),
    );
    await vscode.window.tabGroups.close(tab);
  });

  it('makes an experiment with no runs yet, and renames one: its runs move, their run.json unchanged', async () => {
    const made = `${experiment}-empty`;
    assert.equal(await vscode.commands.executeCommand('mlWorkbench.newExperiment', made), made);
    const listed = JSON.parse(await fsp.readFile(path.join(workspace, '.mlw', 'runs', 'experiments.json'), 'utf8'));
    assert.ok(
      listed.experiments.some((e: { name: string }) => e.name === made),
      'experiments.json lists it',
    );

    const runJson = path.join(runDir(workspace, run.id), 'run.json');
    const before = await fsp.readFile(runJson);
    const renamed = `${experiment}-renamed`;
    assert.equal(await vscode.commands.executeCommand('mlWorkbench.renameExperiment', experiment, renamed), renamed);
    const meta = JSON.parse(await fsp.readFile(path.join(runDir(workspace, run.id), 'meta.json'), 'utf8'));
    assert.equal(meta.experiment, renamed);
    assert.equal(meta.name, 'best so far', 'the earlier edits stay');
    assert.deepEqual(await fsp.readFile(runJson), before, 'run.json is unchanged');

    // The empty one can be renamed too.
    assert.equal(await vscode.commands.executeCommand('mlWorkbench.renameExperiment', made, `${made}-2`), `${made}-2`);
    const after = JSON.parse(await fsp.readFile(path.join(workspace, '.mlw', 'runs', 'experiments.json'), 'utf8'));
    assert.deepEqual(
      after.experiments.map((e: { name: string }) => e.name).filter((n: string) => n.startsWith(experiment)),
      [`${made}-2`],
    );
  });
});
