// Containerize a model in the real workbench against a real Docker engine: from the Models view's context
// menu, review the generated Dockerfile and keep it, watch the build notification, run the image, see the
// container healthy in the Deployments view, open its logs, and see the view follow the engine's events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  browserTestSkip,
  chooseFromContextMenu,
  openWorkbenchPage,
  runPaletteCommand,
  shots,
  widenSidebar,
} from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer, launchChromium } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';
import { dockerEngineMissing, engineRequest, startAuthRegistry, startDockerEngine } from '../harness/dockerEngine.mjs';

function skipReason() {
  const browser = browserTestSkip();
  if (browser) return browser;
  const engine = dockerEngineMissing({ needRegistry: true });
  if (engine && process.env.CI === 'true') throw new Error(`CI=true and ${engine}`);
  return engine ?? false;
}

const skip = skipReason();

let engine;
let server;
let browser;
let page;
let workspace;
let loggedRun;
const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  engine = await startDockerEngine({ needRegistry: true });
  workspace = makeWorkspace('browser-containerize');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  // A run that logged models/conv2d.onnx where it lies (no copy into the run folder): lineage finds it by sha256.
  writeFileSync(join(workspace, 'log_model.py'), 'import mlw_run as mlw\nmlw.log_artifact("models/conv2d.onnx")\n');
  const out = execFileSync(
    process.execPath,
    [join(repoRoot, 'dist', 'mlw.js'), 'run', 'log_model.py', '--name', 'log-conv2d', '--python', PYTHON, '--no-git', '--json'],
    { cwd: workspace, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  loggedRun = JSON.parse(out);
  assert.equal(loggedRun.status, 'finished');
  // The test engine cannot pull node:22-bookworm-slim: build FROM the locally imported base image.
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'mlWorkbench.docker.baseImage': engine.baseImage }, null, 2));
  // code-server (and so the extension host) inherits this process's environment.
  process.env.DOCKER_HOST = engine.dockerHost;
  server = await startCodeServer({ workspace, name: 'browser-containerize' });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await engine?.stop();
});

function runCommand(title) {
  return runPaletteCommand(page, title);
}

async function contextMenu(row, item) {
  await chooseFromContextMenu(page, row, item);
  await page.mouse.move(1000, 820); // away from the trees, so no hover covers the screenshots
}

async function managedContainers() {
  const filters = encodeURIComponent(JSON.stringify({ label: ['dev.mlworkbench.managed=true'] }));
  const r = await engineRequest(engine.socketPath, 'GET', `/containers/json?all=1&filters=${filters}`);
  return JSON.parse(r.body);
}

test('containerize from the Models view, run, see it healthy in Deployments, open its logs', { skip, timeout: 300_000 }, async () => {
  try {
    await containerizeRunAndFollow();
  } catch (e) {
    await page.screenshot({ path: join(shots, '49-containerize-failure.png') }).catch(() => undefined);
    throw e;
  }
});

async function containerizeRunAndFollow() {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const modelRow = page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d.onnx' }).first();
  await modelRow.waitFor({ timeout: 60_000 });

  // Review: the generated Dockerfile opens read-only, and a dialog asks how to build.
  await contextMenu(modelRow, 'Containerize Model');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 60_000 });
  assert.match(await dialog.innerText(), /Build a serving image for conv2d\.onnx/);
  await page.locator('.tabs-container .tab', { hasText: 'Dockerfile' }).first().waitFor({ timeout: 30_000 });
  // Monaco renders spaces as no-break spaces.
  const editorText = (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  assert.match(editorText, /ARG BASE_IMAGE=local\/mlw-node-base:test/);
  assert.match(editorText, /HEALTHCHECK/);
  await page.screenshot({ path: join(shots, '40-containerize-review.png') });

  const t0 = Date.now();
  await dialog.locator('.monaco-button', { hasText: 'Keep in Workspace and Build' }).click();
  // Kept in the workspace, next to the model; later builds use this copy.
  const kept = join(workspace, 'models', 'docker', 'conv2d', 'Dockerfile');
  for (let i = 0; i < 100 && !existsSync(kept); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(kept), `${kept} was written`);
  assert.match(readFileSync(kept, 'utf8'), /FROM \$\{BASE_IMAGE\}/);
  assert.ok(existsSync(join(workspace, 'models', 'docker', 'conv2d', '.dockerignore')));
  // The kept copy opens beside the read-only review (without taking the focus).
  await page.locator('.tabs-container .tab', { hasText: 'Dockerfile' }).nth(1).waitFor({ timeout: 30_000 });

  // The build runs in a progress notification (toasts are hidden under the smoke-test driver: use the centre).
  await runCommand('Notifications: Show Notifications');
  const center = page.locator('.notifications-center');
  const built = center.locator('.notification-list-item', { hasText: /Built conv2d:latest/ }).first();
  const building = center.locator('.notification-list-item', { hasText: 'Building the image for conv2d.onnx' }).first();
  await Promise.race([building.waitFor({ timeout: 120_000 }), built.waitFor({ timeout: 120_000 })]);
  if (await building.isVisible()) await page.screenshot({ path: join(shots, '41-containerize-building.png') });
  await built.waitFor({ timeout: 180_000 });
  const buildMs = Date.now() - t0;
  console.log(`build from the dialog to the "Built" notification: ${buildMs} ms`);
  await page.screenshot({ path: join(shots, '41-containerize-built.png') });

  // Run it from the notification's button.
  await built.locator('.monaco-button', { hasText: 'Run Locally' }).click();
  const containerRow = page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d:latest' }).first();
  await containerRow.waitFor({ timeout: 60_000 });
  await page
    .locator('.part.sidebar [role="treeitem"]', { hasText: /healthy · conv2d:latest · :\d+/ })
    .first()
    .waitFor({ timeout: 60_000 });
  const row = (await containerRow.innerText()).replace(/\s+/g, ' ');
  assert.match(row, /healthy · conv2d:latest · :\d+/);
  const port = Number(/:(\d+)/.exec(row)[1]);
  const ready = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
  assert.equal(ready.status, 200, 'the endpoint shown in the view answers');
  await runCommand('Notifications: Clear All Notifications');
  await widenSidebar(page);
  // The lineage below the container: model (with its hash), then the image.
  await containerRow.locator('.monaco-tl-twistie').click();
  await page
    .locator('.part.sidebar [role="treeitem"]', { hasText: /Model\s*conv2d\.onnx · cb8df62b2240/ })
    .first()
    .waitFor({ timeout: 10_000 });
  await page
    .locator('.part.sidebar [role="treeitem"]', { hasText: /Image\s*conv2d:latest · [0-9a-f]{12}/ })
    .first()
    .waitFor({ timeout: 10_000 });
  // The tooltip says what a user asks before acting: endpoint, model, hash, run, lineage.
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Model hash' }).first();
  for (let attempt = 0; ; attempt++) {
    await page.mouse.move(900, 600);
    await containerRow.locator('.label-name').hover();
    try {
      await hover.waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt === 2) throw e;
    }
  }
  const tip = await hover.innerText();
  assert.match(tip, new RegExp(`Endpoint: http://127\\.0\\.0\\.1:${port}`));
  assert.match(tip, /Lineage: Model conv2d\.onnx → Image conv2d:latest/);
  await page.screenshot({ path: join(shots, '42-deployments-container-healthy.png') });
  await page.mouse.move(900, 600);

  // Show Lineage: the whole chain, rendered (Markdown preview, not its source).
  await contextMenu(containerRow, 'Show Lineage');
  await page
    .locator('.tabs-container .tab', { hasText: /^Preview Lineage .*\.md/ })
    .first()
    .waitFor({ timeout: 30_000 });
  const preview = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  await preview.locator('h1', { hasText: 'Lineage of' }).waitFor({ timeout: 30_000 });
  const lineageText = (await preview.locator('body').innerText()).replace(/\s+/g, ' ');
  assert.doesNotMatch(lineageText, /\*\*Model hash\*\*|\| --- \|/, 'no Markdown source is shown');
  assert.match(lineageText, /Model hash: cb8df62b22401aa6/);
  // The model lies in models/, outside the run folder: the run that logged it is found by its sha256.
  assert.match(lineageText, new RegExp(`Run: ${loggedRun.id} \\(log-conv2d\\)`));
  assert.deepEqual((await preview.locator('table tbody tr td:nth-child(2)').allInnerTexts()).slice(0, 2), ['image', 'container']);
  await page.screenshot({ path: join(shots, '42-deployments-lineage.png') });

  // Logs: a read-only document that follows the container's log.
  await contextMenu(containerRow, 'Open Container Logs');
  await page.locator('.tabs-container .tab', { hasText: '.log' }).first().waitFor({ timeout: 30_000 });
  const logText = page.locator('.editor-instance .view-lines').first();
  await page.waitForFunction((el) => /listening|ready|GET \/v2/i.test(el.textContent ?? ''), await logText.elementHandle(), {
    timeout: 30_000,
  });
  await page.screenshot({ path: join(shots, '43-container-logs.png') });

  // Open Monitor: the server monitor pointed at the container's endpoint.
  await contextMenu(containerRow, 'Open Container Monitor');
  await page
    .locator('.tabs-container .tab', { hasText: /^Monitor: / })
    .first()
    .waitFor({ timeout: 30_000 });

  // The view follows the engine's events: stop the container behind VS Code's back and watch the item change.
  const [c] = (await managedContainers()).filter((x) => x.Image === 'conv2d:latest');
  assert.ok(c, 'the container is labelled as managed by ML Workbench');
  const stopped = Date.now();
  await engineRequest(engine.socketPath, 'POST', `/containers/${c.Id}/stop?t=2`);
  await page
    .locator('.part.sidebar [role="treeitem"]', { hasText: /exited · conv2d:latest/ })
    .first()
    .waitFor({ timeout: 15_000 });
  console.log(`the view showed the stopped container ${Date.now() - stopped} ms after the stop request`);
  await page.screenshot({ path: join(shots, '44-deployments-container-exited.png') });
}

function onPath(tool) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test(
  'push the image to a local registry, then Kubernetes manifests: applying without a cluster or kubectl fails clearly, saved',
  { skip, timeout: 240_000 },
  async () => {
    try {
      await pushAndDeploy();
    } catch (e) {
      await page.screenshot({ path: join(shots, '49-push-deploy-failure.png') }).catch(() => undefined);
      throw e;
    }
  },
);

async function pushAndDeploy() {
  const target = `${engine.registry}/team/conv2d:1.0`;
  await runCommand('ML: Push Image…');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget', { hasText: 'Target reference' }).waitFor({ timeout: 30_000 });
  assert.equal(await input.inputValue(), 'conv2d:latest', 'the suggestion is the image name when no registry was used yet');
  await input.fill(target);
  await page.waitForTimeout(300); // the extension validates the reference as it is typed
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget', { hasText: 'Target reference' }).waitFor({ state: 'hidden', timeout: 10_000 });

  // Lineage: the push shows under the container, with the digest.
  const pushedRow = page
    .locator('.part.sidebar [role="treeitem"]', {
      hasText: new RegExp(`Pushed\\s*${engine.registry.replace(/\./g, '\\.')}/team/conv2d@sha256`),
    })
    .first();
  await pushedRow.waitFor({ timeout: 120_000 });
  const records = readFileSync(join(workspace, '.mlw', 'lineage.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const digest = records.find((r) => r.kind === 'push')?.digest;
  assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.match(await pushedRow.innerText(), new RegExp(digest.slice(7, 19)));
  // The registry really holds it, under the digest the view reports.
  const manifest = await fetch(`http://${engine.registry}/v2/team/conv2d/manifests/1.0`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(manifest.status, 200);
  assert.equal(manifest.headers.get('docker-content-digest'), digest);
  await page.screenshot({ path: join(shots, '45-pushed-image.png') });

  await runCommand('ML: Deploy to Kubernetes…');
  await page.locator('.quick-input-widget', { hasText: 'Name of the Deployment' }).waitFor({ timeout: 30_000 });
  assert.equal(await input.inputValue(), 'conv2d-server');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget', { hasText: 'Replicas' }).waitFor();
  await input.fill('2');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Also a KServe InferenceService' }).click();

  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  await page.locator('.tabs-container .tab', { hasText: 'conv2d-server.yaml' }).first().waitFor({ timeout: 30_000 });
  const yaml = (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  assert.match(yaml, /kind: Deployment/);
  assert.match(yaml, new RegExp(`image: ${engine.registry.replace(/\./g, '\\.')}/team/conv2d@sha256:`));
  await page.screenshot({ path: join(shots, '46-kubernetes-review.png') });

  const saved = join(workspace, 'deploy', 'k8s', 'conv2d-server.yaml');
  // Apply: with kubectl on PATH but no cluster it fails with kubectl's own words, the manifests saved;
  // without kubectl the dialog says so, and applying says so clearly and offers to save instead.
  const hasKubectl = onPath('kubectl');
  if (!hasKubectl) assert.match(await dialog.innerText(), /kubectl was not found/);
  await dialog.locator('.monaco-button', { hasText: 'Apply with kubectl' }).click();
  if (!(await page.locator('.notifications-center.visible').isVisible())) await runCommand('Notifications: Show Notifications');
  const error = page
    .locator('.notifications-center .notification-list-item', { hasText: hasKubectl ? 'kubectl apply failed' : 'kubectl is not installed' })
    .first();
  await error.waitFor({ timeout: 60_000 });
  await page.screenshot({ path: join(shots, hasKubectl ? '47-kubectl-no-cluster.png' : '47-kubectl-missing.png') });
  if (hasKubectl) assert.match(await error.innerText(), /manifests are saved in deploy\/k8s\/conv2d-server\.yaml/);
  else await error.locator('.monaco-button', { hasText: 'Save Manifests' }).click();
  for (let i = 0; i < 100 && !existsSync(saved); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(saved), `${saved} was written`);
  const written = readFileSync(saved, 'utf8');
  assert.match(written, /replicas: 2/);
  assert.match(written, /kind: InferenceService/);
  assert.match(written, /\/v2\/health\/ready/);
  // Nothing was deployed, so the lineage ends at the push.
  const lineage = readFileSync(join(workspace, '.mlw', 'lineage.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lineage.map((r) => r.kind),
    hasKubectl ? ['image', 'container', 'push'] : ['image', 'container', 'push', 'kubernetes'],
  );
  assert.equal(lineage[2].digest, digest);
}

test(
  'a registry that wants a login: asked for user and password, a typo is re-entered, the next push asks nothing',
  { skip, timeout: 240_000 },
  async () => {
    const login = { username: 'mlw-user', password: `pw-${Date.now().toString(36)}` };
    const auth = await startAuthRegistry(login);
    try {
      const input = page.locator('.quick-input-widget .quick-input-box input');
      const pushTo = async (target) => {
        await runCommand('ML: Push Image…');
        await page.locator('.quick-input-widget', { hasText: 'Target reference' }).waitFor({ timeout: 30_000 });
        await input.fill(target);
        await page.waitForTimeout(300); // validated as typed
        await page.keyboard.press('Enter');
      };
      const answer = async (title, text) => {
        await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 60_000 });
        await input.fill(text);
        await page.keyboard.press('Enter');
      };
      const tagged = async (tag) => {
        const basic = Buffer.from(`${login.username}:${login.password}`).toString('base64');
        const r = await fetch(`http://${auth.registry}/v2/team/conv2d/manifests/${tag}`, {
          method: 'HEAD',
          headers: {
            Authorization: `Basic ${basic}`,
            Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
          },
        });
        return r.status === 200;
      };

      // First push: the registry answers 401, so the user is asked; the password box hides what is typed.
      await runCommand('Notifications: Clear All Notifications');
      await pushTo(`${auth.registry}/team/conv2d:1.0`);
      await answer(`Log in to ${auth.registry} (1/2)`, login.username);
      await page.locator('.quick-input-widget .quick-input-title', { hasText: '(2/2)' }).waitFor({ timeout: 30_000 });
      assert.equal(await input.getAttribute('type'), 'password');
      await answer(`Log in to ${auth.registry} (2/2)`, `${login.password}-typo`);
      // The typo is refused by the registry: the message offers to enter the credentials again.
      await runCommand('Notifications: Show Notifications');
      const refused = page.locator('.notifications-center .notification-list-item', { hasText: 'Re-enter Credentials' }).first();
      await refused.waitFor({ timeout: 120_000 });
      assert.match(await refused.innerText(), new RegExp(auth.registry.replace(/\./g, '\\.')));
      await page.screenshot({ path: join(shots, '45-push-login-refused.png') });
      await refused.locator('.monaco-button', { hasText: 'Re-enter Credentials' }).click();
      await answer(`Log in to ${auth.registry} (1/2)`, login.username);
      await answer(`Log in to ${auth.registry} (2/2)`, login.password);
      for (let i = 0; i < 240 && !(await tagged('1.0')); i++) await page.waitForTimeout(500);
      assert.ok(await tagged('1.0'), 'the image is in the registry after the credentials were re-entered');

      // Second push: the saved credentials are used; no login box appears.
      await pushTo(`${auth.registry}/team/conv2d:1.1`);
      const loginBox = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Log in to' });
      for (let i = 0; i < 240 && !(await tagged('1.1')); i++) {
        assert.equal(await loginBox.isVisible(), false, 'no login asked for the second push');
        await page.waitForTimeout(500);
      }
      assert.ok(await tagged('1.1'), 'the second tag is pushed');

      // The password lives in secret storage only: not in the workspace, its settings or the extension's log.
      const found = spawnSync(
        'grep',
        ['-rl', '--', login.password, workspace, join(server.userDataDir, 'logs'), join(server.userDataDir, 'User', 'settings.json')],
        { encoding: 'utf8' },
      );
      assert.ok(found.status === 0 || found.status === 1, `grep could not search: ${found.stderr}`);
      const leaks = found.stdout.trim().split('\n').filter(Boolean);
      assert.deepEqual(leaks, [], `the password appears in ${leaks.join(', ')}`);
    } finally {
      await auth.stop();
    }
  },
);

test('a kept Dockerfile is built as edited, and a failing step is named in the error', { skip, timeout: 180_000 }, async () => {
  const kept = join(workspace, 'models', 'docker', 'conv2d', 'Dockerfile');
  writeFileSync(kept, readFileSync(kept, 'utf8').replace('USER 10001:10001', 'RUN exit 3\nUSER 10001:10001'));
  await runCommand('ML: Containerize Model');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 30_000 });
  await input.fill('conv2d');
  await page.keyboard.press('Enter');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  assert.match(await dialog.innerText(), /with the Dockerfile kept in models\/docker\/conv2d\/Dockerfile/);
  await dialog.locator('.monaco-button', { hasText: /^Build$/ }).click();
  if (!(await page.locator('.notifications-center.visible').isVisible())) await runCommand('Notifications: Show Notifications');
  const error = page
    .locator('.notifications-center .notification-list-item', { hasText: 'Could not build the image for conv2d.onnx' })
    .first();
  await error.waitFor({ timeout: 120_000 });
  const text = (await error.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /RUN exit 3/, `the failing step is named: ${text}`);
  assert.match(text, /Show Log/);
  await page.screenshot({ path: join(shots, '47-build-failed.png') });
  await runCommand('Notifications: Clear All Notifications');
});

test('with no engine answering, the Deployments view says so with Retry and Open Settings', { skip, timeout: 180_000 }, async () => {
  await browser.close();
  await server.stop();
  // A socket path nobody listens on: what a user sees when Docker is not running.
  process.env.DOCKER_HOST = `unix://${join(engine.dir, 'nobody-listens.sock')}`;
  server = await startCodeServer({ workspace: makeWorkspace('browser-no-engine'), name: 'browser-no-engine' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.workbenchUrl());
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click({ timeout: 60_000 });
  const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'Docker engine not found' });
  await welcome.waitFor({ timeout: 60_000 });
  assert.match(await welcome.innerText(), /Retry[\s\S]*Open Settings[\s\S]*Serve a Model/);
  await page.screenshot({ path: join(shots, '48-deployments-no-engine.png') });
  // Retry looks again (and still finds nothing): the welcome stays, no stack trace anywhere.
  await welcome.getByRole('button', { name: 'Retry' }).click();
  await runCommand('Notifications: Show Notifications');
  const error = page.locator('.notifications-center .notification-list-item', { hasText: 'No Docker engine answered' }).first();
  await error.waitFor({ timeout: 30_000 });
  assert.doesNotMatch(await error.innerText(), /\n\s+at /);
  assert.match(await error.innerText(), /nobody-listens\.sock/);
});
