/**
 * Pushing to a registry that requires credentials: refused without or with wrong ones, accepted with the right
 * ones, and with the ones `docker login` keeps in a real credential helper (docker-credential-pass over a
 * throwaway GnuPG key and password store).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerLoginAuth } from '../../../src/core/deploy/pushImage';
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
  const harness = (await loadHarness()) as unknown as {
    startAuthRegistry(a: { username: string; password: string }): Promise<{ registry: string; stop(): Promise<void> }>;
  };
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
  assert.match(
    none.message,
    new RegExp(`^The registry ${registry!.registry.replace(/\./g, '\\.')} refused the credentials .*docker login`),
  );
  const wrong = await pushImage({
    engine: engine!,
    image: env!.baseImage,
    target,
    auth: { username: 'ci', password: 'nope', serveraddress: registry!.registry },
  }).catch((e: unknown) => e);
  assert.ok(wrong instanceof RegistryAuthError, String(wrong));
  const ok = await pushImage({
    engine: engine!,
    image: env!.baseImage,
    target,
    auth: { username: 'ci', password: 's3cret!', serveraddress: registry!.registry },
  });
  assert.match(ok.digest, /^sha256:[0-9a-f]{64}$/);
});

/** A password store only this test uses: a fresh GnuPG home with a key without passphrase, and `pass init` on it. */
function throwawayPassStore(): { env: NodeJS.ProcessEnv; dispose(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-pass-'));
  const env = {
    ...process.env,
    GNUPGHOME: path.join(dir, 'gnupg'),
    PASSWORD_STORE_DIR: path.join(dir, 'store'),
    DOCKER_CONFIG: path.join(dir, 'docker'),
  };
  mkdirSync(env.GNUPGHOME, { mode: 0o700 });
  mkdirSync(env.DOCKER_CONFIG, { recursive: true });
  execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'mlw test <mlw@test.invalid>', 'default', 'default', 'never'], {
    env,
    stdio: 'ignore',
  });
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(execFileSync('gpg', ['--list-keys', '--with-colons'], { env, encoding: 'utf8' }))?.[1];
  assert.ok(fingerprint, 'the throwaway key was made');
  execFileSync('pass', ['init', fingerprint], { env, stdio: 'ignore' });
  return {
    env,
    dispose() {
      try {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
      } catch {
        /* no agent left */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const helperTools = ['/usr/bin/docker-credential-pass', '/usr/bin/pass', '/usr/bin/gpg'];

test('credentials kept by a credential helper (credHelpers) are found and push; a registry it does not know gets none', async (t) => {
  if (!needs(t, 'a Docker engine', !missing, missing ?? '')) return;
  if (
    !needs(
      t,
      'docker-credential-pass, pass and gpg',
      helperTools.every((f) => existsSync(f)),
      'apt-get install golang-docker-credential-helpers pass gnupg',
    )
  )
    return;
  const store = throwawayPassStore();
  try {
    // What `docker login` does with a helper configured: the secret goes to the helper, the config names it.
    execFileSync('docker-credential-pass', ['store'], {
      env: store.env,
      input: JSON.stringify({ ServerURL: registry!.registry, Username: 'ci', Secret: 's3cret!' }),
    });
    writeFileSync(
      path.join(store.env.DOCKER_CONFIG!, 'config.json'),
      JSON.stringify({ auths: { [registry!.registry]: {} }, credHelpers: { [registry!.registry]: 'pass', 'other.example:5000': 'pass' } }),
    );

    const login = await dockerLoginAuth(registry!.registry, { env: store.env });
    assert.equal(login.source, 'docker-credential-pass');
    assert.deepEqual(login.auth, { username: 'ci', password: 's3cret!', serveraddress: registry!.registry });
    const pushed = await pushImage({
      engine: engine!,
      image: env!.baseImage,
      target: `${registry!.registry}/team/helper:1`,
      auth: login.auth,
    });
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);

    const unknown = await dockerLoginAuth('other.example:5000', { env: store.env });
    assert.equal(unknown.auth, undefined);
    assert.equal(unknown.problem, undefined, 'no credentials is not a problem');
  } finally {
    store.dispose();
  }
});
