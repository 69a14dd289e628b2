// Starts code-server (a real VS Code 1.139 served to a browser) for integration tests, browser tests,
// the demo and the activation benchmark. The extension is loaded from source through the workbench
// payload (extensionDevelopmentPath), which needs --vscode-option enable-smoke-test-driver.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeServerEntry, node24, toolsReady } from '../../scripts/install-tools.mjs';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifactsDir = join(repoRoot, '.test-artifacts');

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForHealth(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

/**
 * @param {{ workspace: string, name?: string, settings?: object, extensionsDir?: string, port?: number, trusted?: boolean }} opts
 */
export async function startCodeServer(opts) {
  if (!toolsReady()) throw new Error('code-server is not installed: run `npm run tools`');
  const port = opts.port ?? (await freePort());
  const runDir = join(artifactsDir, 'code-server', `${opts.name ?? 'run'}-${Date.now()}`);
  const userDataDir = join(runDir, 'ud');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': opts.trusted === false,
    'security.workspace.trust.startupPrompt': 'never',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'window.commandCenter': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    // VS Code in a browser (code-server) defaults to afterDelay: edits would be saved 1 s after they are made, and
    // a slow test would find them on disk before it saves. Off, as in desktop VS Code: only a save writes.
    'files.autoSave': 'off',
    ...opts.settings,
  };
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(join(runDir, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    codeServerEntry,
    '--config',
    join(runDir, 'config.yaml'),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    opts.extensionsDir ?? join(runDir, 'ext'),
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(opts.trusted === false ? [] : ['--disable-workspace-trust']),
    '--vscode-option',
    'enable-smoke-test-driver',
    opts.workspace,
  ];
  // code-server, its extension hosts and git leave IPC sockets in the temp folder: give them one of their own,
  // removed by stop(). Short, under /tmp: a Unix socket path must stay under 108 bytes.
  const tempDir = mkdtempSync(join(tmpdir(), 'mlwcs-'));
  // Its own process group, so stop() ends code-server together with the extension hosts it forks.
  const child = spawn(node24, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, CS_DISABLE_FILE_DOWNLOADS: '1', TMPDIR: tempDir },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, 30_000, child);
  } catch (e) {
    process.kill(-child.pid, 'SIGKILL');
    rmSync(tempDir, { recursive: true, force: true });
    throw new Error(`${e.message}\n${log.slice(-2000)}`);
  }
  return {
    url,
    port,
    runDir,
    userDataDir,
    log: () => log,
    /** The workbench URL with the extension under development (and optionally a test entry) in the payload. */
    workbenchUrl({ extensionTestsPath, workspace = opts.workspace, env } = {}) {
      const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
      const payload = [['extensionDevelopmentPath', remote(repoRoot)]];
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      if (env) payload.push(['extensionEnvironment', JSON.stringify(env)]);
      return `${url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    async stop() {
      const signalGroup = (sig) => {
        try {
          process.kill(-child.pid, sig);
        } catch {
          /* already gone */
        }
      };
      if (child.exitCode === null) {
        signalGroup('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      }
      signalGroup('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM = process.env.MLW_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
