/**
 * Blue/green on the real engine (test/harness/dockerEngine.mjs): `mlw deploy local clf@champion` runs version 1's
 * image (clf:v1) behind its front proxy; with a load generator keeping 4 requests in flight through the proxy,
 * `mlw registry promote clf 2` builds clf:v2, starts it, waits for ready, switches, drains and stops the old
 * container; `mlw registry rollback clf` rolls back to a new container of the reused clf:v1. Zero failed
 * requests, the endpoint's port never changes, its answers are each version's outputs as onnxruntime-node
 * computes them, and exactly one container serves the alias after each roll, at the normal CPU weight (it started
 * at a low one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { close, expected, loadGenerator, mlwAsync, writeTwoVersions } from '../../support/aliasRollSupport';
import { needs, pythonHas } from '../../support/requires';
import { ALIAS_LABEL, SERVING_CPU_SHARES } from '../../../src/core/deploy/aliasContainer';
import { useTestEngine } from './engineHarness';

const ready = useTestEngine('mlw-alias-blue-green-', false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The container's CPU weight as the engine has it (a new container starts low and serves at the normal weight). */
function cpuShares(socketPath: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: `/containers/${id}/json` }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve((JSON.parse(body) as { HostConfig: { CpuShares: number } }).HostConfig.CpuShares));
      })
      .on('error', reject);
  });
}

test('promotion rolls the container blue/green behind a stable endpoint with zero failed requests', async (t) => {
  const docker = ready(t);
  if (!docker || !needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
  const { env, engine, work } = docker;
  const envVars = { ...process.env, DOCKER_HOST: env.dockerHost };
  const mlw = (args: string[]) => mlwAsync(work, args, 240_000, envVars);
  const [v1, v2] = writeTwoVersions(work);
  const [e1, e2] = [await expected(v1), await expected(v2)];
  assert.equal((await mlw(['registry', 'register', v1, '--name', 'clf', '--alias', 'champion'])).code, 0);
  assert.equal((await mlw(['registry', 'register', v2, '--name', 'clf'])).code, 0);

  const deployed = await mlw(['deploy', 'local', 'clf@champion', '--base-image', env.baseImage, '--json']);
  t.after(async () => {
    await mlw(['deploy', 'stop', 'clf@champion']);
  });
  assert.equal(deployed.code, 0, deployed.err);
  const first = JSON.parse(deployed.out) as { endpoint: string; to: { version: number; image: string } };
  assert.deepEqual([first.to.version, first.to.image], [1, 'clf:v1']);
  const servingAlias = async () =>
    (await engine.listContainers({ all: false, managedOnly: true })).filter((c) => c.labels[ALIAS_LABEL] === 'clf@champion');
  assert.equal((await servingAlias()).length, 1);

  const load = loadGenerator(first.endpoint);
  t.after(() => load.stop());
  await sleep(500);
  const promoteAt = Date.now();
  const promoted = await mlw(['registry', 'promote', 'clf', '2']);
  assert.equal(promoted.code, 0, promoted.out + promoted.err);
  assert.match(
    promoted.out,
    new RegExp(
      `rolled ${first.endpoint.replace(/\./g, '\\.')}: clf@champion version 1 -> 2 in \\d+ ms \\(blue/green: container mlw-clf-\\w+ -> mlw-clf-\\w+ \\(clf:v2, built;`,
    ),
  );
  await sleep(500);
  const serving = await servingAlias();
  assert.equal(serving.length, 1, 'the old container is stopped after the roll');
  assert.equal(await cpuShares(env.socketPath, serving[0].id), SERVING_CPU_SHARES, 'the new container serves at the normal CPU weight');
  const rollbackAt = Date.now();
  const back = await mlw(['registry', 'rollback', 'clf']);
  assert.equal(back.code, 0, back.out + back.err);
  assert.match(back.out, /rolled .*: clf@champion version 2 -> 1 .*\(clf:v1, reused;/);
  await sleep(500);
  await load.stop();

  const failed = load.answers.filter((a) => a.status !== 200);
  assert.equal(failed.length, 0, `failed requests: ${JSON.stringify(failed.slice(0, 3))}`);
  assert.ok(load.answers.length > 50, `only ${load.answers.length} requests were answered`);
  for (const a of load.answers) assert.ok(close(a.logits!, e1) || close(a.logits!, e2), `an answer of neither version: ${a.logits}`);
  assert.ok(load.answers.filter((a) => a.at < promoteAt).every((a) => close(a.logits!, e1)));
  const between = load.answers.filter((a) => a.at > promoteAt && a.at < rollbackAt);
  assert.ok(close(between.at(-1)!.logits!, e2), 'after the promotion the endpoint answers with version 2');
  assert.ok(close(load.answers.at(-1)!.logits!, e1), 'after the rollback it answers with version 1 again');
  assert.equal((await servingAlias()).length, 1);

  const stopped = await mlw(['deploy', 'stop', 'clf@champion']);
  assert.equal(stopped.code, 0, stopped.err);
  assert.equal((await servingAlias()).length, 0);
  await assert.rejects(fetch(`${first.endpoint}/v2/health/ready`, { signal: AbortSignal.timeout(2000) }));
});
