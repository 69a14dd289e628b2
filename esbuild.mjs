// Bundles the extension host code, the `mlw` CLI, the model server entry and one browser app per webview.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/** Native and host-provided modules stay outside the bundle. ssh2's optional native crypto binding falls back to JS. */
const nodeExternal = ['vscode', 'onnxruntime-node', 'cpu-features', '*.node'];

const nodeEntries = {
  extension: 'src/extension.ts',
  mlw: 'src/cli/mlw.ts',
  server: 'src/core/serve/main.ts',
  // One model's sessions while mlw optimize measures it (src/core/optimize/sessionWorkerClient.ts finds it beside mlw.js).
  sessionWorker: 'src/core/optimize/sessionWorker.ts',
  // The Docker client (dockerode with ssh2, grpc-js and protobufjs, ~1.7 MB) is a bundle of its own, so the
  // extension host parses it only when a Docker command first runs, not at activation.
  dockerode: createRequire(import.meta.url).resolve('dockerode'),
};

/** `import('dockerode')` in the extension and CLI bundles becomes `require('./dockerode.js')`, the sibling bundle. */
const dockerodeBundle = {
  name: 'dockerode-bundle',
  setup(build) {
    build.onResolve({ filter: /^dockerode$/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: './dockerode.js', external: true },
    );
  },
};

const webviewApps = readdirSync('webview-ui', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`webview-ui/${d.name}/main.ts`))
  .map((d) => d.name);

const builds = [
  {
    ...common,
    entryPoints: nodeEntries,
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    plugins: [dockerodeBundle],
    define: { MLW_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  },
  {
    ...common,
    entryPoints: {
      ...Object.fromEntries(webviewApps.map((a) => [a, `webview-ui/${a}/main.ts`])),
      // Web Workers started by a webview app (see `workers` in src/vscode/webviewHost.ts).
      'inspectorLayout.worker': 'webview-ui/inspector/layoutWorker.ts',
    },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    // .ttf: the codicon font (@vscode/codicons, a dependency of @vscode-elements) as a file beside the bundles.
    loader: { '.css': 'text', '.ttf': 'file' },
  },
];

/**
 * sql.js (SQLite in WebAssembly, for MLflow's mlflow.db) loads its sql-wasm.wasm from beside the bundle that
 * bundles it; the VSIX carries dist/, so the file ships with it.
 */
function copySqlWasm() {
  mkdirSync('dist', { recursive: true });
  copyFileSync(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
}

copySqlWasm();
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`esbuild: built extension, CLI and ${webviewApps.length} webview app(s) in ${Date.now() - t0} ms`);
}
