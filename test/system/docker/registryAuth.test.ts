/** Pushing to a registry that requires credentials: refused without or with wrong ones, accepted with the right ones. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerEngine } from '../../../src/core/docker/dockerEngine';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { pushImage, RegistryAuthError } from '../../../src/core/deploy/pushImage';
import { needs } from '../../support/requires';
import { engineMissing, loadHarness, startTestEngine, type TestEngine } from './engineHarness';

let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let registry: { registry: string; stop(): Promise<void> } | undefined;
let missing: string | undefined;

before(async () => {
  missing = await engineMissing(true);
  if (missing) return;
  env = await startTestEngine(true);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
  const harness = (await loadHarness()) as unknown as { startAuthRegistry(a: { username: string; password: string }): Promise<{ registry: string; stop(): Promise<void> }> };
  registry = await harness.startAuthRegistry({ username: 'ci', password: 's3cret!' });
});

after(async () => {
  await registry?.stop();
  await env?.stop();
});

test('a registry that refuses the credentials is RegistryAuthError; the right ones push', async (t) => {
  if (!needs(t, 'a Docker engine', !missing, missing ?? '')) return;
  const target = `${registry!.registry}/team/base:1`;
  const none = await pushImage({ engine: engine!, image: env!.baseImage, target }).catch((e: unknown) => e);
  assert.ok(none instanceof RegistryAuthError, String(none));
  assert.match(none.message, new RegExp(`^The registry ${registry!.registry.replace(/\./g, '\\.')} refused the credentials .*docker login`));
  const wrong = await pushImage({ engine: engine!, image: env!.baseImage, target, auth: { username: 'ci', password: 'nope', serveraddress: registry!.registry } }).catch((e: unknown) => e);
  assert.ok(wrong instanceof RegistryAuthError, String(wrong));
  const ok = await pushImage({ engine: engine!, image: env!.baseImage, target, auth: { username: 'ci', password: 's3cret!', serveraddress: registry!.registry } });
  assert.match(ok.digest, /^sha256:[0-9a-f]{64}$/);
});
