// Containerize benchmarks against a real throwaway engine (test/harness/dockerEngine.mjs):
//   - rebuild after only the model changed (goal <= 3 s)
//   - container start to ready: run -> /v2/health/ready answers 200 (goal <= 2 s)
//   - image size vs base image + model (goal <= base + model + 60 MB)
// Run by hand (as root, with docker.io, docker-registry and busybox-static installed):
//   npm run build && npx tsc -p tsconfig.test.json && node bench/containerize.mjs [rounds]
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDockerEngine } from '../test/harness/dockerEngine.mjs';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const out = (p) => require(join(root, 'out', 'src', p));
const { DockerEngine } = out('core/docker/dockerEngine.js');
const { parseDockerHost } = out('core/docker/findEngine.js');
const { containerizeModel } = out('core/docker/containerizeModel.js');
const { locateServerAssets } = out('core/docker/serverAssets.js');
const { runLocal } = out('core/deploy/runLocal.js');

const rounds = Number(process.argv[2] ?? 5);
const corpus = process.env.MLW_ONNX_CORPUS ?? '/usr/share/libonnx-testdata/data';
// Different real models standing in for successive versions of one model file.
const versions = [
  'test_Conv2d',
  'test_Conv2d_depthwise',
  'test_Conv2d_dilated',
  'test_Conv2d_groups',
  'test_Conv2d_no_bias',
  'test_Conv2d_strided',
  'test_Conv2d_padding',
].map((n) => join(corpus, 'pytorch-converted', n, 'model.onnx'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (b / 1e6).toFixed(1);

const env = await startDockerEngine({ needRegistry: false });
const work = mkdtempSync(join(tmpdir(), 'mlw-bench-containerize-'));
try {
  const engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'bench'));
  const assets = locateServerAssets(root);
  const model = join(work, 'classifier.onnx');
  copyFileSync(versions[0], model);
  const first = await containerizeModel({ engine, modelPath: model, assets, baseImage: env.baseImage });
  console.log(`first build (empty cache): ${first.buildMs} ms`);

  const rebuilds = [];
  for (let i = 1; i <= rounds; i++) {
    copyFileSync(versions[i % versions.length], model);
    const r = await containerizeModel({ engine, modelPath: model, assets, baseImage: env.baseImage });
    rebuilds.push(r.buildMs);
    console.log(`rebuild ${i} after a model change: ${r.buildMs} ms`);
  }

  const readies = [];
  const healthies = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = Date.now();
    const r = await runLocal({ engine, image: first.image, modelName: first.modelName, containerPort: first.containerPort });
    readies.push(r.readyMs);
    await engine.waitHealthy(r.container.id, { timeoutMs: 60_000 });
    healthies.push(Date.now() - t0);
    console.log(
      `run ${i + 1}: ready ${r.readyMs} ms, smoke ${r.smoke.ok ? 'ok' : 'FAILED'} ${r.smoke.ms} ms, healthy (HEALTHCHECK) ${healthies.at(-1)} ms`,
    );
    await engine.remove(r.container.id, { force: true });
  }

  const image = await engine.inspectImage(first.image);
  const base = await engine.inspectImage(env.baseImage);
  const modelBytes = statSync(model).size;
  const extra = image.size - base.size - modelBytes;

  console.log('');
  console.log(
    `rebuild after only the model changed: median ${median(rebuilds)} ms, max ${Math.max(...rebuilds)} ms over ${rounds} (goal <= 3000 ms)`,
  );
  console.log(
    `container start to ready: median ${median(readies)} ms, max ${Math.max(...readies)} ms over ${rounds} (goal <= 2000 ms); to healthy by HEALTHCHECK: median ${median(healthies)} ms`,
  );
  console.log(
    `image size: ${mb(image.size)} MB = base ${mb(base.size)} MB + model ${mb(modelBytes)} MB + ${mb(extra)} MB (goal: extra <= 60 MB)`,
  );
} finally {
  await env.stop();
  rmSync(work, { recursive: true, force: true });
}
