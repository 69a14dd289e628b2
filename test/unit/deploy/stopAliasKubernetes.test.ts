/**
 * stopAliasKubernetes on a recorded Kubernetes deployment, with no image to build: the record and its manifest are
 * written as `mlw deploy k8s NAME@ALIAS` writes them, and kubectl is the STAND-IN of test/support/kubectlStandIn.ts
 * (no cluster can run here), whose cluster got the manifest by `apply -f` first. Checked: the argv, kubectl's lines,
 * the record removed or kept, and the one-line errors with their way out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderKubernetesManifests } from '../../../src/core/deploy/kubernetesManifests';
import { stopAliasKubernetes } from '../../../src/core/deploy/stopAliasKubernetes';
import { deploymentFile, writeDeployment, type KubernetesDeployment } from '../../../src/core/registry/aliasDeployments';
import { kubectlStandIn } from '../../support/kubectlStandIn';

function setUp(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlw-k8s-stop-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ws = path.join(dir, 'ws');
  mkdirSync(path.join(ws, 'deploy', 'k8s'), { recursive: true });
  const manifest = path.join('deploy', 'k8s', 'clf-champion.yaml');
  const { yaml } = renderKubernetesManifests({
    name: 'clf-champion',
    image: '127.0.0.1:5000/clf:v1',
    modelName: 'clf',
    containerPort: 8080,
  });
  writeFileSync(path.join(ws, manifest), yaml);
  const kubectl = kubectlStandIn(path.join(dir, 'kubectl'), { currentContext: 'kind-dev', contexts: { 'kind-dev': '', 'kind-ml': 'ml' } });
  const bin = path.join(dir, 'kubectl', 'bin', 'kubectl');
  const env = { ...process.env, ...kubectl.env };
  // kubectl is spawned with this process's environment: the stand-in finds its folder there.
  const saved = { dir: process.env.FAKE_KUBECTL_DIR, repo: process.env.FAKE_KUBECTL_REPO };
  process.env.FAKE_KUBECTL_DIR = kubectl.env.FAKE_KUBECTL_DIR;
  process.env.FAKE_KUBECTL_REPO = kubectl.env.FAKE_KUBECTL_REPO;
  t.after(() => {
    for (const [k, v] of [
      ['FAKE_KUBECTL_DIR', saved.dir],
      ['FAKE_KUBECTL_REPO', saved.repo],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  const K = ['--context', 'kind-ml', '--namespace', 'ml'];
  execFileSync(bin, [...K, 'apply', '-f', path.join(ws, manifest)], { env, stdio: 'ignore' });
  const d: KubernetesDeployment = {
    kind: 'kubernetes',
    model: 'clf',
    alias: 'champion',
    version: 1,
    since: new Date().toISOString(),
    endpoint: 'kubernetes deployment/clf-champion (context kind-ml, namespace ml)',
    manifest,
    context: 'kind-ml',
    namespace: 'ml',
    deployment: 'clf-champion',
    image: '127.0.0.1:5000/clf:v1',
    registry: '127.0.0.1:5000',
    applied: true,
    served: 'clf',
    baseImage: 'node:20-slim',
  };
  return { ws, manifest, kubectl, bin, K, d };
}

test('an applied deployment: kubectl delete -f MANIFEST in the recorded context and namespace, then the record goes', async (t) => {
  const { ws, manifest, kubectl, bin, K, d } = setUp(t);
  await writeDeployment(ws, d);
  const logged: string[] = [];
  const r = await stopAliasKubernetes({ workspace: ws, kubectl: bin, onLog: (l) => logged.push(l) }, d);
  assert.deepEqual(r, {
    deleted: true,
    lines: ['deployment.apps "clf-champion" deleted', 'service "clf-champion" deleted'],
    notFound: [],
  });
  assert.deepEqual(logged, ['kubectl: deployment.apps "clf-champion" deleted', 'kubectl: service "clf-champion" deleted']);
  assert.deepEqual(kubectl.argv().at(-1), [...K, 'delete', '-f', path.join(ws, manifest)]);
  assert.equal(existsSync(deploymentFile(ws, d)), false);
  assert.deepEqual(kubectl.clusterObjects(), []);
  assert.ok(existsSync(path.join(ws, manifest)), 'the manifest stays');
});

test('kubectl missing, the manifest gone, or kubectl failing: one line with the way out, and the record kept', async (t) => {
  const { ws, manifest, kubectl, bin, d } = setUp(t);
  await writeDeployment(ws, d);
  await assert.rejects(stopAliasKubernetes({ workspace: ws }, d), {
    message:
      'kubectl was not found on PATH to delete deployment/clf-champion: install it, or forget the record only with mlw deploy stop clf@champion --keep-cluster',
  });
  kubectl.setTranscript({ currentContext: 'kind-dev', contexts: { 'kind-dev': '' } });
  await assert.rejects(stopAliasKubernetes({ workspace: ws, kubectl: bin }, d), {
    message:
      'kubectl delete -f deploy/k8s/clf-champion.yaml failed in context kind-ml, namespace ml: error: context "kind-ml" does not exist; fix that and stop again, or forget the record only with mlw deploy stop clf@champion --keep-cluster',
  });
  rmSync(path.join(ws, manifest));
  await assert.rejects(stopAliasKubernetes({ workspace: ws, kubectl: bin }, d), {
    message:
      'the manifest deploy/k8s/clf-champion.yaml of deployment/clf-champion is gone: restore it (git checkout -- deploy/k8s/clf-champion.yaml) and stop again, or forget the record only with mlw deploy stop clf@champion --keep-cluster',
  });
  assert.ok(existsSync(deploymentFile(ws, d)), 'the record is kept');

  // --keep-cluster: forgotten without kubectl.
  const calls = kubectl.argv().length;
  assert.deepEqual(await stopAliasKubernetes({ workspace: ws }, d, { keepCluster: true }), { deleted: false, lines: [], notFound: [] });
  assert.equal(kubectl.argv().length, calls);
  assert.equal(existsSync(deploymentFile(ws, d)), false);
});
