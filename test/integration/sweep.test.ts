import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { importHarness, storedRuns } from './support';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface SshServer {
  host: string;
  configFile: string;
  stop(): Promise<void>;
}
const sshHarness = () =>
  importHarness<{
    sshServerMissing: () => string | undefined;
    startSshServer: (o: unknown) => Promise<SshServer>;
  }>('sshServer.mjs');

function hasOptuna(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import optuna'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface StoredRun {
  id: string;
  status: string;
  experiment: string;
  params: Record<string, unknown>;
  tags: Record<string, string>;
}

describe('sweeps', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
  });

  it('declares the parallelism setting with a default of 2', () => {
    assert.equal(vscode.workspace.getConfiguration('mlWorkbench').get('runs.parallelism'), 2);
  });

  it('runs a two-value grid sweep of train.py as two finished runs', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const workspace = folder.uri.fsPath;
    const before = new Set((await storedRuns<StoredRun>(workspace)).map((r) => r.id));

    const result = (await vscode.commands.executeCommand('mlWorkbench.runSweep', vscode.Uri.joinPath(folder.uri, 'train.py'), {
      grid: { lr: [0.3, 0.05] },
      wait: true,
    })) as StoredRun[] | undefined;
    assert.ok(Array.isArray(result), 'the command returns the final runs');
    assert.equal(result.length, 2);

    const runs = (await storedRuns<StoredRun>(workspace)).filter((r) => !before.has(r.id));
    assert.equal(runs.length, 2, JSON.stringify(runs.map((r) => r.id)));
    assert.ok(
      runs.every((r) => r.status === 'finished'),
      JSON.stringify(runs.map((r) => r.status)),
    );
    assert.deepEqual(runs.map((r) => r.params.lr).sort(), [0.05, 0.3]);
    assert.equal(new Set(runs.map((r) => r.experiment)).size, 1, 'one experiment per sweep');
    assert.equal(new Set(runs.map((r) => r.tags['mlw.sweep'])).size, 1, 'tagged with one sweep id');
  });

  it('runs a grid sweep on an ssh target (a real sshd on loopback): each trial a remote run, synced back', async function () {
    this.timeout(120_000);
    const harness = await sshHarness();
    const missing = harness.sshServerMissing();
    if (missing) {
      if (process.env.CI === 'true') throw new Error(`CI=true and ${missing}`);
      console.log(`skipped: ${missing}`);
      this.skip();
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const ssh = await harness.startSshServer({});
    const remote = mkdtempSync(path.join(os.tmpdir(), 'mlw-integration-remote-'));
    const config = vscode.workspace.getConfiguration('mlWorkbench', folder.uri);
    try {
      const box = { kind: 'ssh', host: ssh.host, sshConfig: ssh.configFile, workdir: remote, python: '/usr/bin/python3' };
      await config.update('targets', { 'sweep-box': box }, vscode.ConfigurationTarget.Workspace);
      const result = (await vscode.commands.executeCommand('mlWorkbench.runSweep', vscode.Uri.joinPath(folder.uri, 'train.py'), {
        grid: { lr: [0.3, 0.05] },
        target: 'sweep-box',
        parallelism: 2,
        wait: true,
      })) as Array<StoredRun & { target?: { name: string; kind: string }; metrics?: { loss?: { count: number } } }> | undefined;
      assert.ok(Array.isArray(result), 'the command returns the final runs');
      assert.ok(
        result.every((r) => r.status === 'finished'),
        JSON.stringify(result.map((r) => (r as { error?: string }).error)),
      );
      // 10 loss points, as a local run of train.py records them: 5 logged through the helper, 5 printed (`loss=…`).
      assert.deepEqual(
        result.map((r) => [r.status, r.target?.name, r.target?.kind, r.metrics?.loss?.count]),
        [
          ['finished', 'sweep-box', 'ssh', 10],
          ['finished', 'sweep-box', 'ssh', 10],
        ],
      );
      assert.deepEqual(result.map((r) => r.params.lr).sort(), [0.05, 0.3]);
      assert.equal(new Set(result.map((r) => r.experiment)).size, 1, 'one experiment per sweep');
    } finally {
      await config.update('targets', undefined, vscode.ConfigurationTarget.Workspace);
      await ssh.stop();
      rmSync(remote, { recursive: true, force: true });
    }
  });

  it('runs a TPE study of train.py (Optuna) as runs of one study, and compares them', async function () {
    if (!hasOptuna()) {
      if (process.env.CI === 'true') throw new Error('CI=true and python3-optuna is missing (apt-get install python3-optuna)');
      console.log('skipped: python3-optuna is missing (apt-get install python3-optuna)');
      this.skip();
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const result = (await vscode.commands.executeCommand('mlWorkbench.runSweep', vscode.Uri.joinPath(folder.uri, 'train.py'), {
      study: { method: 'tpe', space: 'lr=1e-4:1:log; layers=2,4', objective: 'loss:min', trials: 3, study: 'integration-tpe' },
      parallelism: 2,
      wait: true,
    })) as { study: string; trials: Array<{ trial: number; outcome: string; run: StoredRun }> } | undefined;
    assert.ok(result, 'the command returns the study result');
    assert.equal(result.study, 'integration-tpe');
    assert.deepEqual(
      result.trials.map((t) => t.outcome),
      ['complete', 'complete', 'complete'],
    );
    assert.ok(result.trials.every((t) => t.run.tags['mlw.study'] === 'integration-tpe'));
    const nodes = result.trials.map((t) => ({ type: 'run', entry: { run: t.run, workspace: folder.uri.fsPath } }));
    await vscode.commands.executeCommand('mlWorkbench.compareRuns', nodes[0], nodes);
  });
});
