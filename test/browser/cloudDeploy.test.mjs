// Deploy to SageMaker… in the real workbench with no `aws` installed: an image built on a real Docker engine,
// the platform's questions answered, the rendered deployment reviewed, then saved to deploy/sagemaker/ with one
// message saying why it could not be run from here; the endpoint joins the Deployments view as "files saved", and the
// container's menu asks again with the answers remembered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { browserTestSkip, chooseFromContextMenu, runPaletteCommand, shots, widenSidebar } from '../harness/browserSession.mjs';
import { launchChromium, startCodeServer } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';
import { dockerEngineMissing, startDockerEngine } from '../harness/dockerEngine.mjs';

function skipReason() {
  const browser = browserTestSkip();
  if (browser) return browser;
  const engine = dockerEngineMissing({ needRegistry: false });
  if (engine && process.env.CI === 'true') throw new Error(`CI=true and ${engine}`);
  return engine ?? false;
}

const skip = skipReason();

let engine;
let server;
let browser;
let page;
let workspace;

/** PATH without any folder that holds an `aws` (a developer's pyenv shim, a CI image's awscli): "not installed", everywhere. */
function pathWithoutAws() {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !existsSync(join(dir, 'aws')))
    .join(delimiter);
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  engine = await startDockerEngine({ needRegistry: false });
  workspace = makeWorkspace('browser-cloud-deploy');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  // The test engine cannot pull the default base image: build FROM the locally imported one.
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'mlWorkbench.docker.baseImage': engine.baseImage }, null, 2));
  // code-server (and so the extension host) inherits this process's environment.
  process.env.DOCKER_HOST = engine.dockerHost;
  server = await startCodeServer({ workspace, name: 'browser-cloud-deploy' });
  // The extension host's PATH is set through the workbench payload: code-server may resolve its environment from a
  // login shell, whose profile (pyenv's, say) would put an aws back. No region from the environment either.
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.workbenchUrl({ env: { PATH: pathWithoutAws(), AWS_REGION: '', AWS_DEFAULT_REGION: '' } }));
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await engine?.stop();
});

const input = () => page.locator('.quick-input-widget .quick-input-box input');

/** Waits for the input box titled `title`, checks its suggestion, answers `text` (or keeps the suggestion). */
async function answer(title, { expect, text } = {}) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  if (expect !== undefined) assert.equal(await input().inputValue(), expect, `the suggestion for ${title}`);
  if (text !== undefined) await input().fill(text);
  await page.waitForTimeout(200); // validated as typed
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'hidden', timeout: 10_000 });
}

async function buildImage() {
  await runPaletteCommand(page, 'ML: Containerize Model');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 60_000 });
  await input().fill('conv2d');
  await page.keyboard.press('Enter');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 60_000 });
  await dialog.locator('.monaco-button', { hasText: /^Build$/ }).click();
  await runPaletteCommand(page, 'Notifications: Show Notifications');
  const built = page.locator('.notifications-center .notification-list-item', { hasText: /Built conv2d:latest/ }).first();
  await built.waitFor({ timeout: 240_000 });
  // Run it too, so the Deployments view has a container item whose menu deploys its image.
  await built.locator('.monaco-button', { hasText: 'Run Locally' }).click();
  await page
    .locator('.part.sidebar [role="treeitem"]', { hasText: /healthy · conv2d:latest/ })
    .first()
    .waitFor({ timeout: 90_000 });
  await runPaletteCommand(page, 'Notifications: Clear All Notifications');
  // The review of the Dockerfile is not what this test looks at.
  await runPaletteCommand(page, 'View: Close All Editors');
}

test(
  'Deploy to SageMaker… without aws: review, Save Files, one message with the reason, the endpoint in the view',
  { skip, timeout: 420_000 },
  async () => {
    try {
      await deployWithoutAws();
    } catch (e) {
      await page.screenshot({ path: join(shots, '59-cloud-deploy-failure.png') }).catch(() => undefined);
      throw e;
    }
  },
);

async function deployWithoutAws() {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  await page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 60_000 });
  await buildImage();

  await runPaletteCommand(page, 'ML: Deploy to SageMaker…');
  // One image was built here, so no pick: the questions start with the endpoint name, suggested from the model.
  await answer('Deploy to SageMaker (1/5)', { expect: 'conv2d', text: 'conv2d-prod' });
  await answer('Deploy to SageMaker (2/5)', { expect: 'us-east-1', text: 'eu-west-1' });
  await answer('Deploy to SageMaker (3/5)', { expect: 'ml.m5.large' });
  await answer('Deploy to SageMaker (4/5)', { expect: '', text: 'arn:aws:iam::123456789012:role/MlwTestRole' });
  await answer('Deploy to SageMaker (5/5)', { expect: '' });

  // The review: one read-only document with every rendered file and the commands; a dialog that cannot deploy.
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  await page.locator('.tabs-container .tab', { hasText: 'conv2d-prod on SageMaker.md' }).first().waitFor({ timeout: 30_000 });
  const review = (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  assert.match(review, /# conv2d-prod on SageMaker/);
  assert.match(review, /Region\*\*: eu-west-1/);
  assert.match(review, /## Push the image/);
  assert.match(review, /mlw deploy push conv2d:latest ACCOUNT_ID\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/conv2d:latest/);
  assert.match(review, /aws sagemaker create-endpoint --region eu-west-1/);
  assert.match(review, /registry: give --registry ACCOUNT_ID\.dkr\.ecr\.eu-west-1\.amazonaws\.com/);
  const dialogText = await dialog.innerText();
  assert.match(dialogText, /Deploy conv2d to SageMaker as "conv2d-prod" \(eu-west-1, ml\.m5\.large\)/);
  assert.match(dialogText, /aws is not installed here/);
  assert.equal(await dialog.locator('.monaco-button', { hasText: /^Deploy$/ }).count(), 0, 'no Deploy without aws');
  await page.screenshot({ path: join(shots, '50-sagemaker-review.png') });

  await dialog.locator('.monaco-button', { hasText: 'Save Files' }).click();
  await runPaletteCommand(page, 'Notifications: Show Notifications');
  const message = page.locator('.notifications-center .notification-list-item', { hasText: 'Saved the SageMaker deployment' }).first();
  await message.waitFor({ timeout: 30_000 });
  const text = (await message.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /to deploy\/sagemaker\/: aws is not installed here \(not found on PATH\)/);
  for (const action of ['Open Folder', 'Copy Commands', 'Show Log']) assert.match(text, new RegExp(action));
  await page.screenshot({ path: join(shots, '51-sagemaker-saved.png') });

  // The files, as the platform's CLI reads them.
  const out = join(workspace, 'deploy', 'sagemaker');
  const files = readdirSync(out, { recursive: true }).map(String).sort();
  assert.ok(files.includes('commands.sh'), `commands.sh in ${files.join(', ')}`);
  const commands = readFileSync(join(out, 'commands.sh'), 'utf8');
  assert.match(commands, /aws sagemaker create-model/);
  assert.match(commands, /aws sagemaker create-endpoint-config/);
  assert.match(commands, /aws sagemaker create-endpoint /);
  assert.match(commands, /eu-west-1/);
  const all = files
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(join(out, f), 'utf8'))
    .join('\n');
  assert.match(all, /arn:aws:iam::123456789012:role\/MlwTestRole/);
  assert.match(all, /ml\.m5\.large/);
  assert.match(all, /conv2d-prod/);

  // Copy Commands puts the same commands on the clipboard.
  await message.locator('.monaco-button', { hasText: 'Copy Commands' }).click();

  // The endpoint joins the Deployments view, from its lineage record.
  await widenSidebar(page);
  const row = page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d-prod' }).first();
  await row.waitFor({ timeout: 30_000 });
  assert.match((await row.innerText()).replace(/\s+/g, ' '), /SageMaker · eu-west-1 · files saved, not deployed/);
  await page.locator('.part.sidebar [role="treeitem"]', { hasText: 'Cloud Endpoints' }).first().waitFor();
  // Its tooltip: what was saved where, for which model. The first hovers of this row often show nothing for about
  // 20 s (seen in 3 of 4 runs; the cause is not found): hover again, up to a minute, before failing.
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Instance type' }).first();
  for (let attempt = 0; ; attempt++) {
    await page.mouse.move(900, 600);
    await row.locator('.label-name').hover();
    try {
      await hover.waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
  const tip = (await hover.innerText()).replace(/\s+/g, ' ');
  assert.match(tip, /conv2d-prod — SageMaker/);
  assert.match(tip, /Instance type: ml\.m5\.large/);
  assert.match(tip, /Image: ACCOUNT_ID\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/conv2d:latest/);
  assert.match(tip, /Model: models\/conv2d\.onnx/);
  assert.match(tip, /Files: deploy\/sagemaker\//);
  await page.screenshot({ path: join(shots, '52-sagemaker-endpoint-tooltip.png') });
  await page.mouse.move(900, 600);
  const lineage = readFileSync(join(workspace, '.mlw', 'lineage.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const cloud = lineage.filter((r) => r.kind === 'cloud');
  assert.equal(cloud.length, 1);
  assert.equal(cloud[0].platform, 'sagemaker');
  assert.equal(cloud[0].region, 'eu-west-1');
  assert.equal(cloud[0].status, 'saved');
  assert.equal(cloud[0].endpoint, 'conv2d-prod');
  assert.equal(cloud[0].manifest, out);
  await runPaletteCommand(page, 'Notifications: Clear All Notifications');
  await page.mouse.move(1000, 820);
  // Not while the palette fades out over the view.
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
  await page.screenshot({ path: join(shots, '53-sagemaker-endpoint-in-view.png') });

  // The answers are remembered for the next deployment to SageMaker, here from the container's menu.
  const containerRow = page.locator('.part.sidebar [role="treeitem"]', { hasText: /healthy · conv2d:latest/ }).first();
  await chooseFromContextMenu(page, containerRow, 'Deploy to SageMaker…');
  await answer('Deploy to SageMaker (1/5)', { expect: 'conv2d' });
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Deploy to SageMaker (2/5)' }).waitFor({ timeout: 30_000 });
  assert.equal(await input().inputValue(), 'eu-west-1');
  await page.keyboard.press('Escape');
}
