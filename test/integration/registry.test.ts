import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { Command } from '../../src/commandIds';
import { addVersion, emptyModel } from '../../src/core/registry/aliasMoves';
import { describeNewVersion } from '../../src/core/registry/registerVersion';
import { RegistryStore } from '../../src/core/registry/RegistryStore';
import { registryChildren, registryGroup, registryTreeItem } from '../../src/features/models/registry/registryNodes';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import { RunStore } from '../../src/core/runs/RunStore';
import { startMlflowEndpoint } from '../../src/core/mlflow/startMlflowEndpoint';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

describe('Model registry in the Models view', () => {
  let folder = '';
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  after(async () => {
    await fsp.rm(path.join(folder, '.mlw', 'registry'), { recursive: true, force: true });
    await fsp.rm(path.join(folder, 'mlw.yaml'), { force: true });
  });

  it('lists registered models, versions and aliases, and promotes a version that passes the gates', async () => {
    const store = new RegistryStore(folder);
    const fields = await describeNewVersion(folder, { file: 'models/linear.onnx' }, { by: 'integration' });
    await store.update('linear', async () => {
      let m = addVersion(emptyModel('linear'), { ...fields, metrics: { accuracy: 0.7 } }).model;
      m = addVersion(m, { ...fields, metrics: { accuracy: 0.9 } }).model;
      return { model: m, result: undefined };
    });
    await fsp.writeFile(path.join(folder, 'mlw.yaml'), 'registry:\n  linear:\n    gates: ["accuracy >= 0.8"]\n');

    const group = await registryGroup();
    assert.ok(group, 'the Registry group shows');
    assert.equal(registryTreeItem(group).label, 'Registry');
    const [model] = registryChildren(group);
    assert.equal(registryTreeItem(model).label, 'linear');
    const versions = registryChildren(model);
    assert.deepEqual(
      versions.map((v) => registryTreeItem(v).label),
      ['v2', 'v1'],
    );
    assert.equal(registryTreeItem(versions[0]).contextValue, 'registry.version');

    // Promote v2 through the command the version's inline button runs: its gate passes, so champion moves.
    await vscode.commands.executeCommand(Command.promoteRegistryVersion, versions[0]);
    const promoted = await waitFor('champion to move to v2', async () =>
      (await store.read('linear'))?.aliases.champion === 2 ? true : undefined,
    );
    assert.ok(promoted);
    const m = await store.get('linear');
    const move = m.aliasHistory.at(-1)!;
    assert.deepEqual([move.alias, move.to, move.action, move.forced], ['champion', 2, 'promote', false]);
    assert.deepEqual(move.gates, [{ gate: 'accuracy >= 0.8', passed: true, detail: 'accuracy 0.9 >= 0.8' }]);

    const refreshed = await registryGroup();
    assert.ok(refreshed);
    const v2 = registryChildren(registryChildren(refreshed)[0])[0];
    assert.match(String(registryTreeItem(v2).description), /^champion · accuracy=0\.9/);
  });

  it("Promote to Champion also writes the connected MLflow server's Model Registry", async () => {
    // A team server: the MLflow endpoint of `mlw mlflow-server` over another workspace, connected as a user would.
    const teamWs = mkdtempSync(path.join(os.tmpdir(), 'mlw-it-team-'));
    const ep = await startMlflowEndpoint({ store: new RunStore(teamWs), token: 'team-token' });
    try {
      await vscode.commands.executeCommand('mlWorkbench.connectMlflowServer', {
        url: ep.url,
        auth: { kind: 'token', token: 'team-token' },
      });
      const store = new RegistryStore(folder);
      const fields = await describeNewVersion(folder, { file: 'models/linear.onnx' }, { by: 'integration' });
      await store.update('mirrored', async () => ({ model: addVersion(emptyModel('mirrored'), fields).model, result: undefined }));
      const group = await registryGroup();
      const model = registryChildren(group!).find((n) => registryTreeItem(n).label === 'mirrored')!;
      await vscode.commands.executeCommand(Command.promoteRegistryVersion, registryChildren(model)[0]);
      const mapped = await waitFor('the version mapped to the server', async () => (await store.read('mirrored'))?.versions[0].mlflow);
      assert.deepEqual(mapped, { uri: ep.url, version: '1' });
      const onServer = await new RegistryStore(teamWs).get('mirrored');
      assert.deepEqual(onServer.aliases, { champion: 1 });
      assert.equal(onServer.versions[0].sha256, fields.sha256);
      assert.equal(onServer.versions[0].tags?.['mlw.forced'], 'false');

      // Set Registry Alias… runs mlw registry alias: the server's alias follows.
      await vscode.commands.executeCommand(Command.setRegistryAlias, { folder, model: 'mirrored', version: 1 }, 'staging');
      const staged = await waitFor('staging on the server', async () => {
        const m = await new RegistryStore(teamWs).read('mirrored');
        return m?.aliases.staging === 1 ? m : undefined;
      });
      assert.deepEqual(staged.aliases, { champion: 1, staging: 1 });
    } finally {
      await vscode.commands.executeCommand('mlWorkbench.disconnectMlflowServer');
      await ep.close(1000);
    }
  });
});
