import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { storedRuns, waitFor as waitForShort } from './support';

const waitFor = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) => waitForShort(what, probe, 30_000);

interface StoredRun {
  id: string;
  name: string;
  status: string;
  metrics?: Record<string, { last: number }>;
}

describe('experiment runs', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
  });

  it('runs train.py as an experiment, records its loss curve and opens its dashboard', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const workspace = folder.uri.fsPath;
    const before = new Set((await storedRuns<StoredRun>(workspace)).map((r) => r.id));

    await vscode.commands.executeCommand('mlWorkbench.runExperiment', vscode.Uri.joinPath(folder.uri, 'train.py'), {
      params: { epochs: '5' },
      wait: true,
    });

    const run = await waitFor('a finished run with a loss metric', async () =>
      (await storedRuns<StoredRun>(workspace)).find((r) => !before.has(r.id) && r.status === 'finished' && r.metrics?.loss !== undefined),
    );
    assert.ok(run.metrics?.loss && run.metrics.loss.last > 0 && run.metrics.loss.last < 1, `loss ${JSON.stringify(run.metrics)}`);

    await vscode.commands.executeCommand('mlWorkbench.openRunDashboard', run.id);
    const tab = await waitFor('the run dashboard tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.label.includes(run.name) && t.input instanceof vscode.TabInputWebview),
    );
    assert.ok(tab.isActive);
    await vscode.window.tabGroups.close(tab);
  });

  it('compares two runs side by side', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const second = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', vscode.Uri.joinPath(folder.uri, 'train.py'), {
      params: { lr: '0.2' },
      wait: true,
    })) as StoredRun;
    assert.equal(second?.status, 'finished');
    const runs = (await storedRuns<StoredRun>(folder.uri.fsPath)).filter((r) => r.status === 'finished').slice(0, 2);
    assert.equal(runs.length, 2);
    const nodes = runs.map((run) => ({ type: 'run', entry: { run, workspace: folder.uri.fsPath } }));
    await vscode.commands.executeCommand('mlWorkbench.compareRuns', nodes[0], nodes);
    const tab = await waitFor('the compare tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.label === 'Compare 2 Runs' && t.input instanceof vscode.TabInputWebview),
    );
    await vscode.window.tabGroups.close(tab);
  });

  it('stops a running experiment', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const script = vscode.Uri.joinPath(folder.uri, 'slow.py');
    await fsp.writeFile(
      script.fsPath,
      'import time\nfor i in range(600):\n    print(f"mlw: step={i} loss={1 / (i + 1)}", flush=True)\n    time.sleep(0.1)\n',
    );
    const started = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', script, {})) as StoredRun;
    assert.equal(started?.status, 'running');
    await vscode.commands.executeCommand('mlWorkbench.openRunDashboard', started.id);
    await new Promise((r) => setTimeout(r, 1000));
    await vscode.commands.executeCommand('mlWorkbench.stopRun', started.id);
    const stopped = await waitFor('the run to be stopped', async () =>
      (await storedRuns<StoredRun>(folder.uri.fsPath)).find((r) => r.id === started.id && r.status === 'stopped'),
    );
    assert.ok(stopped.metrics?.loss, 'metrics printed as mlw: lines were recorded');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('takes the interpreter from mlWorkbench.pythonPath first, else from $MLW_PYTHON', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    assert.equal(vscode.extensions.getExtension('ms-python.python'), undefined, 'no Python extension here: the order skips it');
    // Two names for the same interpreter, so the run's recorded interpreter says which rule chose it.
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mlw-interp-'));
    const fromSetting = path.join(dir, 'python-from-setting');
    const fromEnv = path.join(dir, 'python-from-env');
    await fsp.symlink('/usr/bin/python3', fromSetting);
    await fsp.symlink('/usr/bin/python3', fromEnv);
    const script = vscode.Uri.joinPath(folder.uri, 'hello.py');
    await fsp.writeFile(script.fsPath, 'print("mlw: answer=42")\n');
    const config = vscode.workspace.getConfiguration('mlWorkbench');
    const savedEnv = process.env.MLW_PYTHON;
    try {
      process.env.MLW_PYTHON = fromEnv; // the extension host's environment is this process's
      await config.update('pythonPath', fromSetting, vscode.ConfigurationTarget.Global);
      const bySetting = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', script, { wait: true })) as StoredRun & {
        interpreter: string;
      };
      assert.equal(bySetting.status, 'finished');
      assert.equal(bySetting.interpreter, fromSetting, 'the setting wins over $MLW_PYTHON');

      await config.update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
      const byEnv = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', script, { wait: true })) as StoredRun & {
        interpreter: string;
      };
      assert.equal(byEnv.status, 'finished');
      assert.equal(byEnv.interpreter, fromEnv, 'without the setting (and no Python extension), $MLW_PYTHON');
    } finally {
      if (savedEnv === undefined) delete process.env.MLW_PYTHON;
      else process.env.MLW_PYTHON = savedEnv;
      await config.update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('shows the run in the Runs view and refreshes it on demand', async () => {
    await vscode.commands.executeCommand('mlWorkbench.runs.focus');
    await vscode.commands.executeCommand('mlWorkbench.refreshRuns');
  });
});
