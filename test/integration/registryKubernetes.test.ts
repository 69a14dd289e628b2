// Promote to Champion… in the Models view rolls a Kubernetes deployment of the alias. No cluster can run here:
// kubectl is the STAND-IN of test/support/kubectlStandIn.ts (first on PATH of this extension host), which records
// the argv and answers apply and rollout status as kubectl does. The images are built on the real test engine
// (test/harness/dockerEngine.mjs) and pushed to its real registry, which the stand-in asks for the image.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Command } from '../../src/commandIds';
import { RegistryStore } from '../../src/core/registry/RegistryStore';
import { registryChildren, registryGroup } from '../../src/features/models/registry/registryNodes';
import { kubectlStandIn } from '../support/kubectlStandIn';
import { MLW, writeTwoVersions } from '../support/aliasRollSupport';
import { EXTENSION_ID } from './activation.test';
import { keepEnv, startTestEngine, waitFor, type TestEngine } from './support';

describe('Promote to Champion rolls a Kubernetes deployment of the alias', function () {
  this.timeout(600_000);
  let folder = '';
  let engine: TestEngine | undefined;
  let dir = '';
  const restoreEnv = keepEnv(['PATH', 'FAKE_KUBECTL_DIR', 'FAKE_KUBECTL_REPO']);

  before(async function () {
    engine = await startTestEngine();
    if (!engine) this.skip();
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    dir = mkdtempSync(path.join(tmpdir(), 'mlw-k8s-promote-'));
  });

  after(async () => {
    restoreEnv();
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (folder) {
      rmSync(path.join(folder, '.mlw', 'registry', 'kclf.json'), { force: true });
      rmSync(path.join(folder, '.mlw', 'deployments', 'kclf@champion.kubernetes-kind-ml-ml-kclf-champion.json'), { force: true });
      rmSync(path.join(folder, 'deploy', 'k8s', 'kclf-champion.yaml'), { force: true });
    }
  });

  it('pushes the new image, bumps the manifest, applies it and follows the rollout in the recorded context', async () => {
    const kubectl = kubectlStandIn(path.join(dir, 'kubectl'), {
      currentContext: 'kind-dev',
      contexts: { 'kind-dev': '', 'kind-ml': 'ml' },
    });
    const [v1, v2] = writeTwoVersions(dir);
    const env = { ...process.env, ...kubectl.env, DOCKER_HOST: engine!.dockerHost };
    const mlw = (...args: string[]) =>
      execFileSync(process.execPath, [MLW, '--workspace', folder, ...args], { env, encoding: 'utf8', timeout: 300_000 });
    mlw('registry', 'register', v1, '--name', 'kclf', '--alias', 'champion');
    mlw('registry', 'register', v2, '--name', 'kclf');
    const reg = engine!.registry;
    mlw(
      'deploy',
      'kubernetes',
      'kclf@champion',
      '--registry',
      reg,
      '--context',
      'kind-ml',
      '--namespace',
      'ml',
      '--apply',
      '--base-image',
      engine!.baseImage,
    );
    const manifest = path.join(folder, 'deploy', 'k8s', 'kclf-champion.yaml');
    assert.match(readFileSync(manifest, 'utf8'), new RegExp(`image: ${reg.replace(/\./g, '\\.')}/kclf:v1\\n`));
    const deployedCalls = kubectl.argv().length;

    // The extension host's kubectl is the stand-in from here on.
    Object.assign(process.env, kubectl.env);
    const group = await registryGroup();
    const model = registryChildren(group!).find((m) => (m as { model?: { name: string } }).model?.name === 'kclf')!;
    const v2Node = registryChildren(model)[0];
    await vscode.commands.executeCommand(Command.promoteRegistryVersion, v2Node);
    await waitFor('champion to move to v2', async () =>
      (await new RegistryStore(folder).read('kclf'))?.aliases.champion === 2 ? true : undefined,
    );
    await waitFor(
      'the manifest to name kclf:v2 and the rollout to be followed',
      () => readFileSync(manifest, 'utf8').includes(`image: ${reg}/kclf:v2\n`) && kubectl.argv().length >= deployedCalls + 2,
      300_000,
    );
    const K = ['--context', 'kind-ml', '--namespace', 'ml'];
    assert.deepEqual(kubectl.argv().slice(deployedCalls), [
      [...K, 'apply', '-f', manifest],
      [...K, 'rollout', 'status', 'deployment/kclf-champion', '--timeout=300s'],
    ]);
    const record = await waitFor('the record to say version 2', () => {
      const r = JSON.parse(
        readFileSync(path.join(folder, '.mlw', 'deployments', 'kclf@champion.kubernetes-kind-ml-ml-kclf-champion.json'), 'utf8'),
      ) as { version: number; image: string };
      return r.version === 2 ? r : undefined;
    });
    assert.equal(record.image, `${reg}/kclf:v2`);
    assert.equal(kubectl.clusterImage('kind-ml', 'ml', 'kclf-champion'), `${reg}/kclf:v2`);
    const tags = ((await (await fetch(`http://${reg}/v2/kclf/tags/list`)).json()) as { tags: string[] }).tags.sort();
    assert.deepEqual(tags, ['v1', 'v2']);
  });
});
