// Installs the test and demo tools that must not be project dependencies into .tools/ (git-ignored):
// code-server 4.139.1 (VS Code 1.139 served to a browser) and the Node 24 it needs. Reused when present.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = process.env.MLW_TOOLS_DIR ?? join(root, '.tools');
export const node24 = join(toolsDir, 'node_modules', 'node', 'bin', 'node');
export const codeServerEntry = join(toolsDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** npm's own entry script, to run it on a chosen Node. */
function npmCli() {
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .map((d) => join(d, 'npm'))
    .find((p) => existsSync(p));
  if (!onPath) throw new Error('npm is not on PATH');
  return realpathSync(onPath);
}

function installedVersion(pkg) {
  const file = join(toolsDir, 'node_modules', pkg, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

export function toolsReady() {
  const wanted = JSON.parse(readFileSync(join(root, 'scripts', 'tools', 'package.json'), 'utf8')).dependencies;
  return (
    existsSync(node24) &&
    existsSync(codeServerEntry) &&
    installedVersion('code-server') === wanted['code-server'] &&
    installedVersion('node') === wanted.node
  );
}

export function installTools({ quiet = false } = {}) {
  if (toolsReady()) {
    if (!quiet)
      console.log(`tools: code-server ${installedVersion('code-server')} and Node ${installedVersion('node')} already in ${toolsDir}`);
    return;
  }
  const t0 = Date.now();
  mkdirSync(toolsDir, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, 'scripts', 'tools', f), join(toolsDir, f));
  const stdio = quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit';
  console.log(`tools: installing code-server and Node 24 into ${toolsDir} (about 2 minutes, ~650 MB)`);
  // First without scripts (code-server's postinstall refuses the Node 20 that runs npm), then run the
  // approved install scripts with Node 24 first on PATH.
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: toolsDir, stdio });
  execFileSync('npm', ['rebuild', 'node'], { cwd: toolsDir, stdio });
  // Run npm itself on Node 24, with none of the outer `npm run`'s variables (they point scripts at Node 20).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE$|INIT_CWD$)/i.test(k)));
  env.PATH = `${dirname(node24)}:${process.env.PATH}`;
  execFileSync(node24, [npmCli(), 'rebuild', 'code-server', 'argon2'], { cwd: toolsDir, stdio, env });
  if (!toolsReady()) throw new Error(`tools: install finished but ${codeServerEntry} or ${node24} is missing`);
  console.log(`tools: ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) installTools();
