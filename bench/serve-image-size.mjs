#!/usr/bin/env node
/**
 * How many bytes the protocol adapters (src/core/serve/platform/* and src/core/serve/tfServing.ts, all of them
 * together) add to the model image. Goal: <= 1 MB.
 *
 * The image ships one file of the server, dist/server.js (the esbuild bundle of src/core/serve/main.ts, see esbuild.mjs
 * and src/core/docker/serverAssets.ts); the adapters add nothing else (no package, no layer). So:
 *   1. the server bundle built as esbuild.mjs builds it (as `npm run build` does, and minified as `--production`),
 *      with the adapters and with each of their modules replaced by an empty stub of the same exports;
 *   2. when a Docker engine can start here (root, dockerd: test/harness/dockerEngine.mjs), both bundles built into
 *      the same model image with containerizeModel, and the image sizes and server.js layer sizes compared.
 * Run by hand:  npm run build && npx tsc -p tsconfig.test.json && node bench/serve-image-size.mjs
 */
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const serveDir = join(root, 'src', 'core', 'serve');
const ADAPTERS = [
  ...readdirSync(join(serveDir, 'platform'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(serveDir, 'platform', f)),
  join(serveDir, 'tfServing.ts'),
];

/** An empty module with the same value exports (types are erased anyway). */
function stubOf(file) {
  const names = [...readFileSync(file, 'utf8').matchAll(/^export (?:async )?(?:function\*?|const|let|class) (\w+)/gm)].map((m) => m[1]);
  return names.map((n) => `export const ${n} = () => undefined;`).join('\n') || 'export {};';
}

const stubAdapters = {
  name: 'stub-adapters',
  setup(build) {
    const stubbed = new Set(ADAPTERS);
    build.onLoad({ filter: /[\\/]src[\\/]core[\\/]serve[\\/].*\.ts$/ }, (args) =>
      stubbed.has(args.path) ? { contents: stubOf(args.path), loader: 'ts' } : undefined,
    );
  },
};

/** The server entry as esbuild.mjs bundles it (same platform, format, target, externals, define). */
async function bundle(outfile, { minify, withAdapters }) {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(serveDir, 'main.ts')],
    outfile,
    bundle: true,
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'onnxruntime-node', 'cpu-features', '*.node'],
    define: { MLW_VERSION: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
    plugins: withAdapters ? [] : [stubAdapters],
  });
  // The stubbed bundle must still be a server that starts (it prints its usage).
  execFileSync(process.execPath, [outfile, '--help'], { stdio: 'ignore', timeout: 30_000 });
  const bytes = readFileSync(outfile);
  return { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const work = mkdtempSync(join(tmpdir(), 'mlw-bench-image-size-'));
try {
  const sources = ADAPTERS.map((f) => readFileSync(f).length).reduce((a, b) => a + b, 0);
  console.log(`adapter modules: ${ADAPTERS.length} files, ${kb(sources)} of TypeScript`);
  const files = {};
  for (const minify of [false, true]) {
    const mode = minify ? 'minified (--production)' : 'as npm run build';
    const full = join(work, `server-${minify ? 'min' : 'dev'}-full.js`);
    const none = join(work, `server-${minify ? 'min' : 'dev'}-none.js`);
    const a = await bundle(full, { minify, withAdapters: true });
    const b = await bundle(none, { minify, withAdapters: false });
    files[minify ? 'min' : 'dev'] = { full, none };
    console.log(
      `server.js ${mode}: with adapters ${a.bytes} B, without ${b.bytes} B -> adapters add ${a.bytes - b.bytes} B (${kb(a.bytes - b.bytes)}); gzip ${a.gzip - b.gzip} B`,
    );
  }

  const { dockerEngineMissing, startDockerEngine } = await import('../test/harness/dockerEngine.mjs');
  const missing = dockerEngineMissing({ needRegistry: false });
  if (missing) console.log(`image sizes: skipped (${missing})`);
  else {
    const out = (p) => require(join(root, 'out', 'src', p));
    const { DockerEngine } = out('core/docker/dockerEngine.js');
    const { parseDockerHost } = out('core/docker/findEngine.js');
    const { containerizeModel } = out('core/docker/containerizeModel.js');
    const { locateServerAssets } = out('core/docker/serverAssets.js');
    const corpus = process.env.MLW_ONNX_CORPUS ?? '/usr/share/libonnx-testdata/data';
    const env = await startDockerEngine({ needRegistry: false });
    try {
      const engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'bench'));
      const modelDir = join(work, 'model');
      mkdirSync(modelDir);
      const model = join(modelDir, 'conv.onnx');
      copyFileSync(join(corpus, 'pytorch-converted', 'test_Conv2d', 'model.onnx'), model);
      const assets = locateServerAssets(root);
      const sizes = {};
      for (const [variant, serverJs] of [
        ['with adapters', files.dev.full],
        ['without adapters', files.dev.none],
      ]) {
        const built = await containerizeModel({
          engine,
          modelPath: model,
          assets: { ...assets, serverJs },
          baseImage: env.baseImage,
          tag: `mlw-image-size:${variant.startsWith('with ') ? 'full' : 'none'}`,
        });
        const image = await engine.inspectImage(built.image);
        const history = execFileSync('docker', ['-H', env.dockerHost, 'history', '--no-trunc', '--format', '{{json .}}', built.image], {
          encoding: 'utf8',
        })
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const layer = history.find((h) => /COPY .*\/app\/server\.js/.test(h.CreatedBy));
        sizes[variant] = { image: image.size, layer: layer?.Size ?? '?' };
        console.log(`image ${variant}: ${image.size} B; its server.js layer ${layer?.Size ?? '?'}`);
      }
      const d = sizes['with adapters'].image - sizes['without adapters'].image;
      console.log(
        `image: the adapters add ${d} B (${kb(d)}) to a ${(sizes['with adapters'].image / 1e6).toFixed(1)} MB image; goal <= 1 MB`,
      );
    } finally {
      await env.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
