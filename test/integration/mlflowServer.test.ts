import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MlflowClient } from '../../src/core/mlflow/client/MlflowClient';
import type { PushResult } from '../../src/core/mlflow/client/pushRun';
import { startMlflowEndpoint, type MlflowEndpoint } from '../../src/core/mlflow/startMlflowEndpoint';
import { RunStore } from '../../src/core/runs/RunStore';
import { EXTENSION_ID } from './activation.test';

interface StoredRun {
  id: string;
  status: string;
  params: Record<string, unknown>;
}

// A wrong token is covered by the unit and system tests: here an error would wait on its notification.
describe('an MLflow tracking server: Connect, Push Run to MLflow, Disconnect', () => {
  let ep: MlflowEndpoint;
  let run: StoredRun;
  const experiment = `push-${Date.now().toString(36)}`;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'the test workspace is open');
    const script = path.join(workspace, 'push_me.py');
    await vscode.workspace.fs.writeFile(
      vscode.Uri.file(script),
      Buffer.from('for i in range(1200):\n    print(f"step={i} loss={1 / (i + 1)}")\n'),
    );
    run = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', vscode.Uri.file(script), {
      wait: true,
      experiment,
      params: { lr: '0.2' },
    })) as StoredRun;
    assert.equal(run?.status, 'finished');
    // The team's server: ML Workbench's MLflow endpoint, standalone over a store of its own.
    ep = await startMlflowEndpoint({ store: new RunStore(mkdtempSync(path.join(os.tmpdir(), 'mlw-it-server-'))), token: 'it-token' });
  });

  after(async () => {
    await vscode.commands.executeCommand('mlWorkbench.disconnectMlflowServer');
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    await ep?.close();
  });

  it('connects with a token (kept out of settings), pushes a finished run with its whole history, and disconnects', async () => {
    const connected = (await vscode.commands.executeCommand('mlWorkbench.connectMlflowServer', {
      url: ep.url,
      auth: { kind: 'token', token: 'it-token' },
    })) as { url: string; experiments: number };
    assert.equal(connected.url, ep.url);
    assert.equal(vscode.workspace.getConfiguration('mlWorkbench').get('mlflow.trackingUri'), ep.url);
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('mlWorkbench')).includes('it-token'), 'the token is not in settings');

    const pushed = (await vscode.commands.executeCommand('mlWorkbench.pushRunToMlflow', run.id)) as PushResult;
    assert.equal(pushed.metricPoints, 1200);
    assert.ok(pushed.batches >= 4, 'params, tags, then 1,200 points in two log-batch calls');
    const client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 'it-token' } });
    const remote = await client.getRun(pushed.runId);
    assert.equal(remote.info.status, 'FINISHED');
    assert.equal(remote.data.params.find((p) => p.key === 'lr')?.value, '0.2');
    const loss = await client.getMetricHistory(pushed.runId, 'loss');
    assert.equal(loss.length, 1200);
    assert.equal(loss[1199].value, 1 / 1200);

    await vscode.commands.executeCommand('mlWorkbench.disconnectMlflowServer');
    assert.equal(vscode.workspace.getConfiguration('mlWorkbench').get('mlflow.trackingUri'), '');
  });

  it('with mlWorkbench.mlflow.logRunsToServer, a launched run is on the connected server when it ends', async () => {
    const config = vscode.workspace.getConfiguration('mlWorkbench');
    await vscode.commands.executeCommand('mlWorkbench.connectMlflowServer', { url: ep.url, auth: { kind: 'token', token: 'it-token' } });
    await config.update('mlflow.logRunsToServer', true, vscode.ConfigurationTarget.Global);
    try {
      const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
      const script = path.join(workspace, 'push_me.py');
      const live = (await vscode.commands.executeCommand('mlWorkbench.runExperiment', vscode.Uri.file(script), {
        wait: true,
        experiment: `${experiment}-live`,
        params: { lr: '0.3' },
      })) as StoredRun;
      assert.equal(live?.status, 'finished');
      const client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 'it-token' } });
      const exp = await client.getExperimentByName(`${experiment}-live`);
      assert.ok(exp, 'the run experiment exists on the server');
      const { runs } = await client.searchRuns({ experimentIds: [exp.experiment_id] });
      const remote = runs.find((r) => r.data.tags?.some((t) => t.key === 'mlw.pushedFrom' && t.value === live.id));
      assert.ok(remote, 'the server has the run, tagged with its local id');
      assert.equal(remote.info.status, 'FINISHED');
      assert.equal(remote.data.params.find((p) => p.key === 'lr')?.value, '0.3');
      assert.equal((await client.getMetricHistory(remote.info.run_id, 'loss')).length, 1200);
    } finally {
      await config.update('mlflow.logRunsToServer', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('mlWorkbench.disconnectMlflowServer');
    }
  });
});
