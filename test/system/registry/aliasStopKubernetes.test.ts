/**
 * `mlw deploy stop clf@champion` on a Kubernetes deployment of the alias. No Kubernetes cluster can be installed
 * here: kubectl is the STAND-IN of test/support/kubectlStandIn.ts (first on PATH), which records the exact argv and
 * answers `apply`, `rollout status` and `delete -f` as kubectl does, keeping the objects it was given. The deploy's
 * build and push are real (test/harness/dockerEngine.mjs: engine and registry). Checked: exit codes, the printed
 * lines, the kubectl argv (the recorded context and namespace, `delete -f MANIFEST`), the record in
 * .mlw/deployments/, the stand-in cluster's objects, and that the manifest file stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { mlwAsync, writeTwoVersions } from '../../support/aliasRollSupport';
import { kubectlStandIn } from '../../support/kubectlStandIn';
import { needs, pythonHas } from '../../support/requires';
import { useTestEngine } from '../docker/engineHarness';

const ready = useTestEngine('mlw-k8s-alias-stop-', true);

test('deploy stop clf@champion deletes its Kubernetes deployment in the recorded context, or with --keep-cluster only forgets it', async (t) => {
  const docker = ready(t);
  if (!docker || !needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
  const { env, work } = docker;
  const contexts = { 'kind-dev': '', 'kind-ml': 'ml' };
  const kubectl = kubectlStandIn(path.join(work, 'kubectl'), { currentContext: 'kind-dev', contexts });
  const ws = path.join(work, 'ws');
  mkdirSync(ws, { recursive: true });
  const mlw = (args: string[]) => mlwAsync(ws, args, 300_000, { ...process.env, ...kubectl.env, DOCKER_HOST: env.dockerHost });
  const [v1] = writeTwoVersions(ws);
  assert.equal((await mlw(['registry', 'register', v1, '--name', 'clf', '--alias', 'champion'])).code, 0);

  const manifest = path.join(ws, 'deploy', 'k8s', 'clf-champion.yaml');
  const record = path.join(ws, '.mlw', 'deployments', 'clf@champion.kubernetes-kind-ml-ml-clf-champion.json');
  const K = ['--context', 'kind-ml', '--namespace', 'ml'];
  const endpoint = 'kubernetes deployment/clf-champion (context kind-ml, namespace ml)';
  const objects = ['kind-ml/ml/Deployment/clf-champion', 'kind-ml/ml/Service/clf-champion'];
  const deploy = async (apply: boolean) => {
    const r = await mlw([
      'deploy',
      'kubernetes',
      'clf@champion',
      '--registry',
      env.registry,
      ...K,
      ...(apply ? ['--apply'] : []),
      '--base-image',
      env.baseImage,
    ]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(existsSync(record));
  };
  let seen = 0;
  const newCalls = () => {
    const all = kubectl.argv();
    const out = all.slice(seen);
    seen = all.length;
    return out;
  };

  await deploy(true);
  newCalls();
  assert.deepEqual(kubectl.clusterObjects(), objects);

  // kubectl fails (the recorded context was removed from the kubeconfig): one line with the way out, record kept.
  kubectl.setTranscript({ currentContext: 'kind-dev', contexts: { 'kind-dev': '' } });
  const failed = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(failed.code, 1, failed.out + failed.err);
  assert.deepEqual(failed.err.trim().split('\n'), [
    'kubectl: error: context "kind-ml" does not exist',
    'mlw deploy: kubectl delete -f deploy/k8s/clf-champion.yaml failed in context kind-ml, namespace ml: error: context "kind-ml" does not exist; fix that and stop again, or forget the record only with mlw deploy stop clf@champion --keep-cluster',
  ]);
  assert.deepEqual(newCalls(), [[...K, 'delete', '-f', manifest]]);
  assert.ok(existsSync(record), 'a failed delete keeps the record');
  kubectl.setTranscript({ currentContext: 'kind-dev', contexts });

  // --context naming no recorded deployment: a usage error listing the recorded ones, nothing run.
  const wrong = await mlw(['deploy', 'stop', 'clf@champion', '--context', 'kind-dev']);
  assert.equal(wrong.code, 2, wrong.err);
  assert.match(wrong.err, /no Kubernetes deployment of clf@champion is recorded in context kind-dev: recorded are kind-ml\/ml/);
  assert.deepEqual(newCalls(), []);

  // Stop: kubectl delete -f MANIFEST in the recorded context and namespace, the record removed, the manifest kept.
  const stopped = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(stopped.code, 0, stopped.out + stopped.err);
  assert.equal(
    stopped.out.trim(),
    `stopped clf@champion at ${endpoint}: deployment.apps "clf-champion" deleted, service "clf-champion" deleted; record removed, manifest deploy/k8s/clf-champion.yaml kept`,
  );
  assert.match(stopped.err, /kubectl: deployment\.apps "clf-champion" deleted\nkubectl: service "clf-champion" deleted/);
  assert.deepEqual(newCalls(), [[...K, 'delete', '-f', manifest]]);
  assert.equal(existsSync(record), false);
  assert.deepEqual(kubectl.clusterObjects(), []);
  assert.ok(existsSync(manifest), 'the manifest file stays');
  const listed = JSON.parse((await mlw(['registry', 'list', '--json'])).out) as { name: string; aliases: Record<string, number> }[];
  assert.equal(listed.find((m) => m.name === 'clf')!.aliases.champion, 1, 'the alias itself is untouched');

  const again = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(again.code, 1);
  assert.match(
    again.err,
    /no container or Kubernetes deployment of clf@champion is recorded in this workspace \(mlw deploy local clf@champion, or mlw deploy k8s clf@champion --registry R, starts one\)/,
  );

  // --keep-cluster: the record forgotten, no kubectl call, the cluster keeps the objects.
  await deploy(true);
  newCalls();
  const kept = await mlw(['deploy', 'stop', 'clf@champion', '--keep-cluster']);
  assert.equal(kept.code, 0, kept.out + kept.err);
  assert.equal(
    kept.out.trim(),
    `forgot clf@champion at ${endpoint}: promotions no longer roll it; the cluster keeps it (delete it with kubectl --context kind-ml --namespace ml delete -f deploy/k8s/clf-champion.yaml)`,
  );
  assert.deepEqual(newCalls(), []);
  assert.equal(existsSync(record), false);
  assert.deepEqual(kubectl.clusterObjects(), objects);

  // Objects deleted by hand already: kubectl's NotFound is not a failure, the record goes.
  await deploy(true);
  execFileSync(path.join(work, 'kubectl', 'bin', 'kubectl'), [...K, 'delete', '-f', manifest], {
    env: { ...process.env, ...kubectl.env },
    stdio: 'ignore',
  });
  assert.deepEqual(kubectl.clusterObjects(), []);
  newCalls();
  const gone = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(gone.code, 0, gone.out + gone.err);
  assert.equal(
    gone.out.trim(),
    `stopped clf@champion at ${endpoint}: nothing left to delete (2 of its objects were gone already); record removed, manifest deploy/k8s/clf-champion.yaml kept`,
  );
  assert.deepEqual(newCalls(), [[...K, 'delete', '-f', manifest]]);
  assert.equal(existsSync(record), false);

  // A manifest that was never applied: the record forgotten, kubectl not called.
  await deploy(false);
  newCalls();
  const unapplied = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(unapplied.code, 0, unapplied.out + unapplied.err);
  assert.equal(
    unapplied.out.trim(),
    `forgot clf@champion at ${endpoint}: its manifest deploy/k8s/clf-champion.yaml was never applied (kept)`,
  );
  assert.deepEqual(newCalls(), []);
  assert.equal(existsSync(record), false);
});
