/**
 * Promotion rolls a Kubernetes deployment of `clf@champion`, and rollback rolls it back. No Kubernetes cluster can
 * be installed here: kubectl is a STAND-IN (test/support/kubectlStandIn.ts, first on PATH) that records the exact
 * argv and answers `apply` and `rollout status` as kubectl does, including a rollout that never gets ready. The
 * build and push are real: the test Docker engine (test/harness/dockerEngine.mjs) builds clf:v1 and clf:v2 and
 * pushes them to its real registry, whose manifests the stand-in checks before it reports a rollout done. Checked:
 * the exit codes and printed roll lines of the built CLI, the kubectl argv sequence with the recorded context and
 * namespace, the manifest on disk (its image bumped, the change one line in git, valid against the published
 * Kubernetes schema), and the tags in the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { mlwAsync, writeTwoVersions } from '../../support/aliasRollSupport';
import { kubectlStandIn } from '../../support/kubectlStandIn';
import { validateKubernetesObject } from '../../support/kubernetesSchema';
import { needs, pythonHas } from '../../support/requires';
import { useTestEngine } from '../docker/engineHarness';

const ready = useTestEngine('mlw-k8s-alias-roll-', true);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

test('deploy kubernetes clf@champion, promote and rollback roll it; a failed rollout keeps the move and exits 1', async (t) => {
  const docker = ready(t);
  if (!docker || !needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
  const { env, work } = docker;
  const kubectl = kubectlStandIn(path.join(work, 'kubectl'), { currentContext: 'kind-dev', contexts: { 'kind-dev': '', 'kind-ml': 'ml' } });
  const envVars = { ...process.env, ...kubectl.env, DOCKER_HOST: env.dockerHost };
  const ws = path.join(work, 'ws');
  execFileSync('mkdir', ['-p', ws]);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: ws, encoding: 'utf8' });
  git('init', '-q');
  const mlw = (args: string[]) => mlwAsync(ws, args, 300_000, envVars);
  const [v1, v2] = writeTwoVersions(ws);
  assert.equal((await mlw(['registry', 'register', v1, '--name', 'clf', '--alias', 'champion'])).code, 0);
  assert.equal((await mlw(['registry', 'register', v2, '--name', 'clf'])).code, 0);

  const manifest = path.join(ws, 'deploy', 'k8s', 'clf-champion.yaml');
  const reg = env.registry;
  const K = ['--context', 'kind-ml', '--namespace', 'ml'];
  const apply = [...K, 'apply', '-f', manifest];
  const status = [...K, 'rollout', 'status', 'deployment/clf-champion', '--timeout=300s'];
  const endpoint = 'kubernetes deployment/clf-champion (context kind-ml, namespace ml)';
  const tags = async () =>
    (((await (await fetch(`http://${reg}/v2/clf/tags/list`)).json()) as { tags: string[] | null }).tags ?? []).sort();
  /** The manifest's Deployment image, after every document validated against the Kubernetes schema. */
  const manifestImage = async () => {
    const docs = parseAllDocuments(readFileSync(manifest, 'utf8')).map(
      (d) => d.toJS() as { kind: string; spec: { template: { spec: { containers: { image: string }[] } } } },
    );
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['Deployment', 'Service'],
    );
    for (const d of docs) await validateKubernetesObject(d);
    return docs[0].spec.template.spec.containers[0].image;
  };
  let seen = 0;
  const newCalls = () => {
    const all = kubectl.argv();
    const out = all.slice(seen);
    seen = all.length;
    return out;
  };

  const noRegistry = await mlw(['deploy', 'kubernetes', 'clf@champion']);
  assert.equal(noRegistry.code, 2, noRegistry.err);
  assert.match(noRegistry.err, /give --registry HOST\[:PORT\]\[\/PREFIX\], the registry the cluster pulls from/);

  // Deploy: built, pushed, written, applied in the explicit context and namespace, rollout followed.
  const deployed = await mlw([
    'deploy',
    'kubernetes',
    'clf@champion',
    '--registry',
    reg,
    '--context',
    'kind-ml',
    '--namespace',
    'ml',
    '--replicas',
    '2',
    '--apply',
    '--base-image',
    env.baseImage,
  ]);
  assert.equal(deployed.code, 0, deployed.out + deployed.err);
  assert.match(
    deployed.out,
    new RegExp(
      `^clf@champion \\(version 1, image ${esc(reg)}/clf:v1, pushed sha256:[0-9a-f]{12}\\) rolled out as ${esc(endpoint)} in \\d+ ms; manifest deploy/k8s/clf-champion\\.yaml$`,
      'm',
    ),
  );
  assert.match(
    deployed.err,
    /kubectl: deployment\.apps\/clf-champion created\nkubectl: service\/clf-champion created\nkubectl: Waiting for deployment "clf-champion" rollout to finish: 0 of 2 updated replicas are available\.\.\.\nkubectl: Waiting for deployment "clf-champion" rollout to finish: 1 of 2 updated replicas are available\.\.\.\nkubectl: deployment "clf-champion" successfully rolled out/,
  );
  assert.deepEqual(newCalls(), [apply, status]);
  assert.equal(await manifestImage(), `${reg}/clf:v1`);
  assert.deepEqual(await tags(), ['v1']);
  const record = JSON.parse(
    readFileSync(path.join(ws, '.mlw', 'deployments', 'clf@champion.kubernetes-kind-ml-ml-clf-champion.json'), 'utf8'),
  );
  assert.deepEqual(
    [record.kind, record.version, record.manifest, record.context, record.namespace, record.deployment, record.image, record.applied],
    ['kubernetes', 1, path.join('deploy', 'k8s', 'clf-champion.yaml'), 'kind-ml', 'ml', 'clf-champion', `${reg}/clf:v1`, true],
  );
  git('add', 'deploy/k8s/clf-champion.yaml');
  git('commit', '-q', '-m', 'deploy clf@champion');

  // Promote: clf:v2 built and pushed, the manifest's image bumped (one line in git), applied, rollout followed.
  const promoted = await mlw(['registry', 'promote', 'clf', '2']);
  assert.equal(promoted.code, 0, promoted.out + promoted.err);
  assert.match(promoted.out, /^clf@champion -> version 2 \(was 1\)$/m);
  assert.match(
    promoted.out,
    new RegExp(
      `^rolled ${esc(endpoint)}: clf@champion version 1 -> 2 in \\d+ ms \\(image ${esc(reg)}/clf:v2, built, pushed; deploy/k8s/clf-champion\\.yaml bumped; applied and rolled out in \\d+ ms\\)$`,
      'm',
    ),
  );
  assert.match(promoted.err, new RegExp(`deploy/k8s/clf-champion\\.yaml: image ${esc(reg)}/clf:v1 -> ${esc(reg)}/clf:v2`));
  assert.match(
    promoted.err,
    /kubectl: deployment\.apps\/clf-champion configured\nkubectl: service\/clf-champion unchanged\nkubectl: Waiting for deployment "clf-champion" rollout to finish: 0 of 2 updated replicas are available\.\.\.\n(.*\n)*kubectl: deployment "clf-champion" successfully rolled out/,
  );
  assert.deepEqual(newCalls(), [apply, status]);
  assert.equal(await manifestImage(), `${reg}/clf:v2`);
  assert.equal(kubectl.clusterImage('kind-ml', 'ml', 'clf-champion'), `${reg}/clf:v2`);
  assert.deepEqual(await tags(), ['v1', 'v2']);
  const diff = git('diff', '-U0', '--', 'deploy/k8s/clf-champion.yaml')
    .split('\n')
    .filter((l) => /^[-+] /.test(l));
  assert.deepEqual(diff, [`-          image: ${reg}/clf:v1`, `+          image: ${reg}/clf:v2`]);

  // Rollback: clf:v1 reused (pushed again), the manifest back to what git has.
  const back = await mlw(['registry', 'rollback', 'clf']);
  assert.equal(back.code, 0, back.out + back.err);
  assert.match(
    back.out,
    new RegExp(`^rolled ${esc(endpoint)}: clf@champion version 2 -> 1 in \\d+ ms \\(image ${esc(reg)}/clf:v1, reused, pushed; `, 'm'),
  );
  assert.deepEqual(newCalls(), [apply, status]);
  assert.equal(await manifestImage(), `${reg}/clf:v1`);
  assert.equal(git('status', '--porcelain', '--', 'deploy'), '', 'the manifest is what git has again');

  // A rollout whose new pods never get ready: the alias move is kept, the roll reported failed with kubectl's reason.
  kubectl.setTranscript({ currentContext: 'kind-dev', contexts: { 'kind-dev': '', 'kind-ml': 'ml' }, failImages: [`${reg}/clf:v2`] });
  const failing = await mlw(['registry', 'promote', 'clf', '2']);
  assert.equal(failing.code, 1, failing.out + failing.err);
  assert.match(failing.out, /^clf@champion -> version 2 \(was 1\)$/m);
  assert.match(
    failing.out,
    new RegExp(
      `^ROLL FAILED ${esc(endpoint)}: clf@champion version 1 -> 2 in \\d+ ms \\(the rollout of deployment/clf-champion failed: error: deployment "clf-champion" exceeded its progress deadline; undo: mlw registry rollback clf \\(moves the alias back and rolls again\\), or kubectl --context kind-ml --namespace ml rollout undo deployment/clf-champion \\(the cluster only\\)\\)$`,
      'm',
    ),
  );
  assert.match(
    failing.err,
    /kubectl: Waiting for deployment "clf-champion" rollout to finish: 1 old replicas are pending termination\.\.\./,
  );
  assert.match(failing.err, /mlw registry: clf@champion moved, but 1 of 1 deployments did not roll: kubernetes deployment\/clf-champion/);
  assert.deepEqual(newCalls(), [apply, status]);
  const listed = JSON.parse((await mlw(['registry', 'list', '--json'])).out) as { name: string; aliases: Record<string, number> }[];
  assert.equal(listed.find((m) => m.name === 'clf')!.aliases.champion, 2, 'the alias move is kept');
  assert.equal(await manifestImage(), `${reg}/clf:v2`, 'the manifest names what was applied');

  // Rolling back from the failed rollout: the manifest goes back to v1, applied, rolled out.
  kubectl.setTranscript({ currentContext: 'kind-dev', contexts: { 'kind-dev': '', 'kind-ml': 'ml' } });
  const recovered = await mlw(['registry', 'rollback', 'clf']);
  assert.equal(recovered.code, 0, recovered.out + recovered.err);
  assert.match(recovered.out, new RegExp(`^rolled ${esc(endpoint)}: clf@champion version 2 -> 1 in \\d+ ms`, 'm'));
  assert.deepEqual(newCalls(), [apply, status]);
  assert.equal(await manifestImage(), `${reg}/clf:v1`);
  assert.equal(kubectl.clusterImage('kind-ml', 'ml', 'clf-champion'), `${reg}/clf:v1`);
  assert.equal(git('status', '--porcelain', '--', 'deploy'), '');
});

test('deploy kubernetes NAME@ALIAS without --context records the current context and its namespace', async (t) => {
  const docker = ready(t);
  if (!docker || !needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
  const { env, work } = docker;
  const kubectl = kubectlStandIn(path.join(work, 'kubectl2'), { currentContext: 'kind-ml', contexts: { 'kind-ml': 'ml' } });
  const ws = path.join(work, 'ws2');
  execFileSync('mkdir', ['-p', ws]);
  const mlw = (args: string[]) => mlwAsync(ws, args, 300_000, { ...process.env, ...kubectl.env, DOCKER_HOST: env.dockerHost });
  const [v1] = writeTwoVersions(ws);
  assert.equal((await mlw(['registry', 'register', v1, '--name', 'clf', '--alias', 'staging'])).code, 0);
  const r = await mlw(['deploy', 'k8s', 'clf@staging', '--registry', `${env.registry}/team`, '--base-image', env.baseImage, '--json']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { context: string; namespace: string; applied: boolean; to: { image: string } };
  assert.deepEqual([out.context, out.namespace, out.applied, out.to.image], ['kind-ml', 'ml', false, `${env.registry}/team/clf:v1`]);
  assert.deepEqual(kubectl.argv(), [
    ['config', 'current-context'],
    ['config', 'view', '--minify', '--context=kind-ml', '--output=jsonpath={..namespace}'],
  ]);
  const text = readFileSync(path.join(ws, 'deploy', 'k8s', 'clf-staging.yaml'), 'utf8');
  assert.match(text, new RegExp(`image: ${esc(env.registry)}/team/clf:v1`));
});
