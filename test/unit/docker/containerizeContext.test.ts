/** Dockerfile rendering, the .dockerignore, image names and the build context (nothing secret, no .git). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contextEntries, isSecretPath, packContext } from '../../../src/core/docker/buildContext';
import { planModel, servedModelName } from '../../../src/core/docker/containerizeModel';
import { imageNameFor, imageTags, parseImageTag } from '../../../src/core/docker/imageName';
import { DEFAULT_BASE_IMAGE, healthCheckScript, renderDockerfile, renderDockerignore } from '../../../src/core/docker/renderDockerfile';
import { locateServerAssets, ServerAssetsMissingError } from '../../../src/core/docker/serverAssets';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { model } from '../onnx/protoWriter';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-context-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the Dockerfile: base image ARG, cache-friendly layer order, non-root user, health check, labels, CMD', () => {
  const text = renderDockerfile({
    baseImage: DEFAULT_BASE_IMAGE,
    modelFiles: ['models/mnist.onnx'],
    modelName: 'mnist',
    modelHash: 'ab'.repeat(32),
    runId: 'run-7',
    containerPort: 8080,
  });
  const lines = text.split('\n');
  assert.equal(
    lines.find((l) => l.startsWith('ARG ')),
    'ARG BASE_IMAGE=node:22-bookworm-slim',
  );
  assert.ok(lines.indexOf('FROM ${BASE_IMAGE}') > lines.findIndex((l) => l.startsWith('ARG BASE_IMAGE')));
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  assert.ok(
    at('COPY node_modules/') < at('COPY server.js') && at('COPY server.js') < at('COPY models/'),
    'runtime, then server, then the model',
  );
  assert.equal(lines.filter((l) => l.startsWith('COPY')).pop(), 'COPY models/ /models/', 'the model is the last COPY');
  assert.ok(at('USER 10001:10001') > at('COPY models/'));
  assert.match(text, /^EXPOSE 8080$/m);
  assert.match(
    text,
    /^HEALTHCHECK --interval=\S+ --timeout=\S+ --start-period=\S+ --retries=3 \\\n {2}CMD \["node", "-e", ".*\/v2\/health\/ready/m,
  );
  assert.doesNotMatch(text, /curl|wget/);
  assert.match(text, /dev\.mlworkbench\.modelHash="abab/);
  assert.match(text, /dev\.mlworkbench\.runId="run-7"/);
  assert.equal(lines[lines.length - 4], 'ENV MLW_MODEL="/models/mnist.onnx"');
  assert.equal(lines[lines.length - 3], 'ENTRYPOINT ["node", "/app/server.js"]');
  assert.equal(lines[lines.length - 2], 'CMD ["--host", "0.0.0.0", "--port", "8080", "/models/mnist.onnx"]');
  // a bare file name means models/<name>; several files serve the folder
  assert.match(
    renderDockerfile({ baseImage: 'b', modelFiles: ['x.onnx'], modelName: 'x', modelHash: 'h', containerPort: 9000 }),
    /"--port", "9000", "\/models\/x\.onnx"\]/,
  );
  assert.match(
    renderDockerfile({
      baseImage: 'b',
      modelFiles: ['models/a.onnx', 'models/b.onnx'],
      modelName: 'm',
      modelHash: 'h',
      containerPort: 8080,
    }),
    /"\/models"\]$/m,
  );
  assert.doesNotMatch(text, /start-interval/);
  assert.match(
    renderDockerfile({
      baseImage: 'b',
      modelFiles: ['x.onnx'],
      modelName: 'x',
      modelHash: 'h',
      containerPort: 1,
      healthStartInterval: true,
    }),
    /--start-interval=500ms/,
  );
});

test('the health check script is valid JavaScript that exits', () => {
  assert.doesNotThrow(() => new Function(healthCheckScript(8080)));
});

test('.dockerignore keeps secrets, history and data out', () => {
  const lines = renderDockerignore().split('\n');
  for (const p of ['.git', '.env', '*.pem', 'id_rsa*', '.mlw', '.ssh', '.npmrc', 'node_modules/*', '!node_modules/onnxruntime-node'])
    assert.ok(lines.includes(p), p);
});

test('image names and tags from model files', () => {
  assert.equal(imageNameFor('/w/My Model_v2.ONNX'), 'my-model_v2');
  assert.equal(imageNameFor('/w/--x--.onnx'), 'x');
  assert.equal(imageNameFor('/w/.onnx'), 'model');
  const hash = '0123456789abcdef'.repeat(4);
  assert.deepEqual(imageTags({ modelPath: '/w/ResNet50.onnx', modelHash: hash }), ['resnet50:latest', 'resnet50:0123456789ab']);
  assert.deepEqual(imageTags({ modelPath: '/w/x.onnx', modelHash: hash, tag: 'team/clf:1.2' }), ['team/clf:1.2', 'team/clf:0123456789ab']);
  assert.deepEqual(parseImageTag('127.0.0.1:5000/team/clf:1.0'), { repository: '127.0.0.1:5000/team/clf', tag: '1.0' });
  assert.throws(() => parseImageTag('Team/Clf'), /not a valid image name/);
  assert.throws(() => parseImageTag('clf:-bad'), /not a valid tag/);
  assert.equal(servedModelName('Conv2d Net'), 'Conv2d_Net');
  assert.equal(servedModelName('_x'), 'm_x');
});

test('planModel: a file is served under its name; a folder serves its models; the hash follows the content', async () => {
  const dir = path.join(tmp, 'plan');
  mkdirSync(path.join(dir, 'resnet'), { recursive: true });
  writeFileSync(path.join(dir, 'a b.onnx'), 'model-a');
  writeFileSync(path.join(dir, 'resnet', 'model.onnx'), 'model-r');
  writeFileSync(path.join(dir, 'notes.txt'), 'x');
  const one = await planModel(path.join(dir, 'a b.onnx'));
  assert.equal(one.modelName, 'a_b');
  assert.deepEqual(
    one.files.map((f) => [f.name, f.served]),
    [['models/a_b.onnx', 'a_b']],
  );
  assert.equal(one.serveTarget, '/models/a_b.onnx');
  assert.match(one.modelHash, /^[0-9a-f]{64}$/);
  const folder = await planModel(dir);
  assert.deepEqual(
    folder.files.map((f) => f.name),
    ['models/a_b.onnx', 'models/resnet/model.onnx'],
  );
  assert.deepEqual(
    folder.files.map((f) => f.served),
    ['a_b', 'resnet'],
  );
  assert.equal(folder.serveTarget, '/models');
  writeFileSync(path.join(dir, 'resnet', 'model.onnx'), 'model-r2');
  assert.notEqual((await planModel(dir)).modelHash, folder.modelHash);
  await assert.rejects(planModel(path.join(dir, 'missing.onnx')), /Model not found/);
});

test('planModel packs external data files beside the model and refuses missing or escaping ones', async () => {
  const dir = path.join(tmp, 'external');
  mkdirSync(path.join(dir, 'weights'), { recursive: true });
  const withData = (location: string) =>
    model({
      graph: { initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [4], external: { location, offset: '0', length: '16' } }] },
    });
  writeFileSync(path.join(dir, 'big.onnx'), withData('weights/w.bin'));
  writeFileSync(path.join(dir, 'weights', 'w.bin'), Buffer.alloc(16, 1));
  const plan = await planModel(path.join(dir, 'big.onnx'));
  assert.deepEqual(plan.dataFiles, [{ name: 'models/weights/w.bin', file: path.join(dir, 'weights', 'w.bin') }]);
  const before = plan.modelHash;
  writeFileSync(path.join(dir, 'weights', 'w.bin'), Buffer.alloc(16, 2));
  assert.notEqual((await planModel(path.join(dir, 'big.onnx'))).modelHash, before, 'the hash covers the external data');
  writeFileSync(path.join(dir, 'lost.onnx'), withData('nowhere.bin'));
  await assert.rejects(planModel(path.join(dir, 'lost.onnx')), /external data "nowhere\.bin" that cannot be packed/);
  writeFileSync(path.join(dir, 'escape.onnx'), withData('../outside.bin'));
  await assert.rejects(planModel(path.join(dir, 'escape.onnx')), /external data "\.\.\/outside\.bin"/);
});

test('server assets are found in the repository, with a clear error elsewhere', () => {
  const assets = locateServerAssets(REPO);
  assert.ok(assets.serverJs.endsWith(path.join('dist', 'server.js')));
  assert.throws(
    () => locateServerAssets(tmp),
    (e: Error) => e instanceof ServerAssetsMissingError && /server\.js \(run `npm run build`\)/.test(e.message),
  );
});

test('the build context holds only the listed files: no .git, no secrets, only linux binaries of this arch', async () => {
  const ws = path.join(tmp, 'ws');
  mkdirSync(path.join(ws, '.git'), { recursive: true });
  writeFileSync(path.join(ws, '.git', 'config'), '[core]');
  writeFileSync(path.join(ws, '.env'), 'TOKEN=secret');
  writeFileSync(path.join(ws, 'id_rsa'), 'KEY');
  writeFileSync(path.join(ws, 'model.onnx'), 'onnx-bytes');
  const entries = await contextEntries({
    dockerfile: 'FROM x\n',
    dockerignore: renderDockerignore(),
    assets: locateServerAssets(REPO),
    models: [{ name: 'models/model.onnx', file: path.join(ws, 'model.onnx') }],
    arch: 'x64',
  });
  const names = entries.map((e) => e.name);
  assert.equal(names[0], 'Dockerfile');
  assert.ok(names.includes('.dockerignore') && names.includes('server.js') && names.includes('models/model.onnx'));
  assert.ok(names.includes('node_modules/onnxruntime-node/package.json'));
  assert.ok(names.includes('node_modules/onnxruntime-common/package.json'));
  assert.ok(names.some((n) => n === 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
  assert.ok(!names.some((n) => /\/(darwin|win32)\/|\/linux\/arm64\//.test(n)), 'no other platform binaries');
  assert.ok(!names.some((n) => n.endsWith('.map') || n.endsWith('.d.ts') || n.includes('/esm/')));
  assert.ok(!names.some((n) => isSecretPath(n)), 'nothing secret');
  assert.ok(!names.some((n) => /\.git\b|\.env|id_rsa/.test(n)));
  const total = entries.reduce((s, e) => s + e.size, 0);
  assert.ok(total < 60e6, `context ${total} bytes`);
  await assert.rejects(
    contextEntries({
      dockerfile: 'FROM x',
      dockerignore: '',
      assets: locateServerAssets(REPO),
      models: [{ name: 'models/.env', file: path.join(ws, '.env') }],
    }),
    /Refusing to put secret-looking files into the build context: models\/\.env/,
  );
  await assert.rejects(
    contextEntries({
      dockerfile: 'FROM x',
      dockerignore: '',
      assets: locateServerAssets(REPO),
      models: [{ name: '.git/config', file: path.join(ws, '.git', 'config') }],
    }),
    /under models\//,
  );
  await assert.rejects(
    contextEntries({ dockerfile: 'FROM x', dockerignore: '', assets: locateServerAssets(REPO), models: [], arch: 'riscv64' }),
    /no ONNX Runtime binaries for linux\/riscv64 \(the engine's platform\)/,
  );
});

test('isSecretPath', () => {
  for (const p of [
    '.git/HEAD',
    'a/.env',
    '.env.local',
    'keys/server.pem',
    'id_rsa.pub',
    'x/.ssh/config',
    '.mlw/runs/x',
    '.npmrc',
    'tls.key',
  ])
    assert.ok(isSecretPath(p), p);
  for (const p of ['models/model.onnx', 'server.js', 'node_modules/onnxruntime-node/dist/index.js', 'models/environment.onnx'])
    assert.ok(!isSecretPath(p), p);
});

test('packContext streams a tar with fixed headers that the entries describe', async () => {
  const tarStream = await import('tar-stream');
  const file = path.join(tmp, 'big.bin');
  writeFileSync(file, Buffer.alloc(300_000, 7));
  const pack = await packContext([
    { name: 'Dockerfile', content: 'FROM x\n', size: 7 },
    { name: 'models/big.bin', file, size: 300_000 },
  ]);
  const extract = tarStream.extract();
  const seen: { name: string; size: number; mtime: number; mode: number; bytes: number }[] = [];
  extract.on('entry', (h, stream, next) => {
    let bytes = 0;
    stream.on('data', (c: unknown) => {
      bytes += (c as Buffer).length;
    });
    stream.on('end', () => {
      seen.push({ name: h.name, size: h.size ?? 0, mtime: h.mtime?.getTime() ?? 0, mode: h.mode ?? 0, bytes });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    pack.pipe(extract);
  });
  assert.deepEqual(
    seen.map((s) => [s.name, s.size, s.bytes, s.mode]),
    [
      ['Dockerfile', 7, 7, 0o644],
      ['models/big.bin', 300_000, 300_000, 0o644],
    ],
  );
  assert.equal(seen[0].mtime, Date.UTC(2020, 0, 1));
});
