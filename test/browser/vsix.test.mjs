// The packaged VSIX (linux-x64) installs into code-server from the file and activates there.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer, launchChromium, hasChromium, artifactsDir, repoRoot } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';
import { codeServerEntry, node24, toolsReady } from '../../scripts/install-tools.mjs';

const missing = [!toolsReady() && 'code-server (npm run tools)', !hasChromium() && 'Chromium (apt-get install chromium)'].filter(Boolean);
if (missing.length && process.env.CI === 'true') throw new Error(`CI=true and missing: ${missing.join(', ')}`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;
let server;
let browser;

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the linux-x64 VSIX is at most 30 MB, installs into code-server and activates', { skip, timeout: 300_000 }, async () => {
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  const vsix = join(repoRoot, 'dist-vsix', `ml-workbench-linux-x64-${version}.vsix`);
  execFileSync(process.execPath, ['scripts/package.mjs', 'linux-x64'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  assert.ok(existsSync(vsix), `${vsix} was not written`);
  const mb = statSync(vsix).size / 1024 / 1024;
  console.log(`# VSIX linux-x64: ${mb.toFixed(1)} MB`);
  assert.ok(mb <= 30, `VSIX is ${mb.toFixed(1)} MB`);

  const extDir = join(artifactsDir, 'vsix-extensions');
  mkdirSync(extDir, { recursive: true });
  const out = execFileSync(
    node24,
    [codeServerEntry, '--extensions-dir', extDir, '--user-data-dir', join(artifactsDir, 'vsix-ud'), '--install-extension', vsix, '--force'],
    { encoding: 'utf8' },
  );
  assert.match(out, /successfully installed/i);

  server = await startCodeServer({ workspace: makeWorkspace('vsix'), name: 'vsix', extensionsDir: extDir });
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(join(artifactsDir, 'workspaces', 'vsix'))}`);
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click({ timeout: 60_000 });
  // The installed extension lists the workspace's real ONNX models: it activated and its native runtime is present.
  await page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: join(artifactsDir, 'screenshots', '03-vsix-installed.png') });
  assert.ok(
    existsSync(
      join(
        extDir,
        `mlworkbench.ml-workbench-${version}`,
        'node_modules',
        'onnxruntime-node',
        'bin',
        'napi-v6',
        'linux',
        'x64',
        'onnxruntime_binding.node',
      ),
    ),
  );
});
