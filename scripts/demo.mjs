// `npm run demo`: installs what is missing (npm packages, code-server), builds, and serves VS Code
// (code-server) on http://127.0.0.1:PORT with the extension loaded on a sample ML workspace.
// A desktop `code` on PATH is used instead with MLW_DEMO_DESKTOP=1.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installTools } from './install-tools.mjs';

const port = Number(process.env.PORT ?? 8080);
if (!existsSync('node_modules')) execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
execFileSync('node', ['esbuild.mjs'], { stdio: 'inherit' });
const { makeWorkspace } = await import('../test/harness/workspace.mjs');
const workspace = makeWorkspace('demo');

if (process.env.MLW_DEMO_DESKTOP === '1') {
  spawn('code', ['--extensionDevelopmentPath', process.cwd(), workspace], { stdio: 'inherit', detached: true }).unref();
  console.log(`Opened desktop VS Code on ${workspace}`);
} else {
  installTools();
  const { startCodeServer } = await import('../test/harness/codeServer.mjs');
  const server = await startCodeServer({ workspace, name: 'demo', port });
  console.log(
    `\nML Workbench demo: open this URL in a browser (Ctrl+C stops it):\n\n  ${server.workbenchUrl()}\n\nWorkspace: ${workspace}`,
  );
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => undefined, 1 << 30);
}
