// Runs the mocha suites of out/test/integration inside a real VS Code extension host.
// Where VS Code can be downloaded, @vscode/test-electron runs them in desktop VS Code; where it
// cannot (no internet: this machine and CI), the same suites run in code-server driven by Chromium.
import { join } from 'node:path';
import { format } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { startCodeServer, launchChromium, hasChromium, repoRoot, artifactsDir } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';
import { toolsReady } from '../../scripts/install-tools.mjs';

const testsEntry = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const isCI = process.env.CI === 'true';

async function tryElectron(workspace) {
  if (process.env.MLW_TEST_VSCODE === 'code-server') return undefined;
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  let executable;
  try {
    executable = await downloadAndUnzipVSCode({ version: 'stable', timeout: 15_000 });
  } catch (e) {
    console.log(`integration: desktop VS Code cannot be downloaded here (${String(e.message ?? e).split('\n')[0]}); using code-server`);
    return undefined;
  }
  const code = await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsEntry,
    launchArgs: [workspace, '--disable-workspace-trust'],
  }).then(
    () => 0,
    () => 1,
  );
  return { code, result: undefined };
}

async function runInCodeServer(workspace) {
  const server = await startCodeServer({ workspace, name: 'integration' });
  const browser = await launchChromium();
  const lines = [];
  let result;
  try {
    const page = await browser.newPage();
    const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
    // Extension-host console output reaches the page as "%c INFO", "color: ...", then the real arguments.
    page.on('console', async (msg) => {
      const args = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '?')));
      if (typeof args[0] !== 'string' || !args[0].startsWith('%c')) return;
      const line = format(...args.slice(2));
      if (/^\[[A-Za-z]+\]/.test(line)) return; // workbench's own tagged logs
      lines.push(line);
      const m = /MLW_RESULT (\{.*\})/.exec(line);
      if (m) result = JSON.parse(m[1]);
      else console.log(`  ${line}`);
    });
    await page.goto(server.workbenchUrl({ extensionTestsPath: testsEntry }));
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 10 * 60_000)));
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') throw new Error('integration tests did not finish within 10 minutes');
    return { code: Number(code), result };
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function main() {
  if (!existsSync(testsEntry)) throw new Error(`${testsEntry} is missing: run npm run compile-tests first`);
  mkdirSync(artifactsDir, { recursive: true });
  const workspace = makeWorkspace('integration');
  const viaElectron = await tryElectron(workspace);
  if (viaElectron) return viaElectron;
  const missing = [!toolsReady() && 'code-server (npm run tools)', !hasChromium() && 'Chromium (apt-get install chromium)'].filter(Boolean);
  if (missing.length) {
    if (isCI) throw new Error(`CI=true and missing: ${missing.join(', ')}`);
    console.log(`integration: SKIPPED, missing ${missing.join(', ')}`);
    return { code: 0, result: { passed: 0, failed: 0, skipped: 1 } };
  }
  return runInCodeServer(workspace);
}

main().then(
  ({ code, result }) => {
    if (result) console.log(`integration: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
    process.exitCode = code === 0 && (!result || result.failed === 0) ? 0 : 1;
  },
  (e) => {
    console.error(`integration: ${e.stack ?? e}`);
    process.exitCode = 1;
  },
);
