import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseServeArgs, ServeArgsError } from '../../../src/core/serve/serveArgs';
import { defaultModelName, parseModelArg, resolveModelSources } from '../../../src/core/serve/modelSources';
import { parseByteSize } from '../../../src/core/serve/requestBody';
import { route } from '../../../src/core/serve/inferenceServer';
import { buildProfile, profileToJson } from '../../../src/core/serve/driftProfile';

function tree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-serve-args-'));
  mkdirSync(path.join(dir, 'models', 'resnet'), { recursive: true });
  writeFileSync(path.join(dir, 'models', 'b.onnx'), '');
  writeFileSync(path.join(dir, 'models', 'a.ONNX'), '');
  writeFileSync(path.join(dir, 'models', 'notes.txt'), '');
  writeFileSync(path.join(dir, 'models', 'resnet', 'model.onnx'), '');
  writeFileSync(path.join(dir, 'single.onnx'), '');
  writeFileSync(path.join(dir, 'p.json'), profileToJson(buildProfile({ '*': { shape: [2, 1], data: [1, 2] } })));
  writeFileSync(path.join(dir, 'bad.json'), '{"format":"nope"}');
  mkdirSync(path.join(dir, 'empty'));
  return dir;
}

test('model arguments: files, folders and name=path', async () => {
  const dir = tree();
  try {
    assert.equal(defaultModelName('/x/y/my-model.v2.onnx'), 'my-model.v2');
    assert.deepEqual(parseModelArg('m=/a/b.onnx'), { name: 'm', path: '/a/b.onnx' });
    assert.deepEqual(parseModelArg('/a/x=y.onnx'), { path: '/a/x=y.onnx' });
    const sources = await resolveModelSources(['models', 'single.onnx', 'other=single.onnx'], dir);
    assert.deepEqual(
      sources.map((s) => [s.name, path.relative(dir, s.path)]),
      [
        ['a', path.join('models', 'a.ONNX')],
        ['b', path.join('models', 'b.onnx')],
        ['resnet', path.join('models', 'resnet', 'model.onnx')],
        ['single', 'single.onnx'],
        ['other', 'single.onnx'],
      ],
    );
    await assert.rejects(resolveModelSources(['single.onnx', 'single.onnx'], dir), /two models are named "single"/);
    await assert.rejects(resolveModelSources(['missing.onnx'], dir), /does not exist/);
    await assert.rejects(resolveModelSources(['empty'], dir), /no .onnx models/);
    await assert.rejects(resolveModelSources(['m=models'], dir), /needs a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseServeArgs: options, defaults and usage errors', async () => {
  const dir = tree();
  try {
    const a = await parseServeArgs(
      [
        'single.onnx',
        '--model',
        'x=single.onnx',
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--max-batch',
        '8',
        '--max-delay-ms',
        '0.5',
        '--body-limit',
        '1mb',
        '--reference',
        'x=p.json',
        '--reference',
        'p.json',
        '--access-log',
        'off',
        '--threads',
        '2',
      ],
      dir,
    );
    assert.deepEqual(
      a.options.models.map((m) => m.name),
      ['single', 'x'],
    );
    assert.equal(a.options.port, 0);
    assert.equal(a.options.host, '0.0.0.0');
    assert.equal(a.options.maxBatchSize, 8);
    assert.equal(a.options.maxQueueDelayMs, 0.5);
    assert.equal(a.options.bodyLimitBytes, 2 ** 20);
    assert.deepEqual(Object.keys(a.options.references!).sort(), ['*', 'x']);
    assert.equal(a.options.intraOpThreads, 2);
    assert.equal(a.accessLog, 'off');
    const d = await parseServeArgs(['single.onnx'], dir);
    assert.equal(d.accessLog, 'stdout');
    assert.equal(d.options.port, undefined);
    for (const [args, re] of [
      [[], /at least one model/],
      [['single.onnx', '--port', 'x'], /--port must be an integer/],
      [['single.onnx', '--port', '70000'], /--port must be <= 65535/],
      [['single.onnx', '--max-batch', '0'], /--max-batch must be an integer >= 1/],
      [['single.onnx', '--max-delay-ms=-1'], /--max-delay-ms/],
      [['single.onnx', '--body-limit', 'lots'], /--body-limit: bad size/],
      [['single.onnx', '--reference', 'bad.json'], /not an ML Workbench drift profile/],
      [['--model', 'single.onnx'], /--model needs name=path/],
      [['nothing.onnx'], /does not exist/],
    ] as [string[], RegExp][]) {
      await assert.rejects(
        parseServeArgs(args, dir),
        (e: unknown) => e instanceof ServeArgsError && re.test((e as Error).message),
        args.join(' '),
      );
    }
    await assert.rejects(parseServeArgs(['single.onnx', '--bogus'], dir), /Unknown option '--bogus'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('byte sizes', () => {
  assert.equal(parseByteSize('64mb'), 64 * 2 ** 20);
  assert.equal(parseByteSize('512KB'), 512 * 1024);
  assert.equal(parseByteSize('1.5g'), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('1000'), 1000);
  assert.throws(() => parseByteSize('-1mb'), /bad size/);
});

test('routes of the protocol', () => {
  assert.equal(route('/v2')?.kind, 'server');
  assert.equal(route('/v2/')?.kind, 'server');
  assert.equal(route('/v2/health/live')?.kind, 'live');
  assert.equal(route('/v2/health/ready')?.kind, 'ready');
  assert.equal(route('/metrics')?.kind, 'metrics');
  assert.deepEqual(route('/v2/models/m'), { kind: 'model', methods: ['GET'], model: 'm', version: undefined });
  assert.deepEqual(route('/v2/models/my%20model/versions/1/infer'), { kind: 'infer', methods: ['POST'], model: 'my model', version: '1' });
  assert.equal(route('/v2/models/m/ready')?.kind, 'modelReady');
  assert.equal(route('/v2/models/m/versions/3/ready')?.kind, 'modelReady');
  assert.equal(route('/v2/models/m/stats')?.kind, 'stats');
  for (const p of [
    '/',
    '/v1/models/m',
    '/v2/models',
    '/v2/models/',
    '/v2/models/m/explain',
    '/v2/models/m/versions',
    '/v2/health',
    '/v2/models/m/infer/x',
    'v2',
  ]) {
    assert.equal(route(p), undefined, p);
  }
  assert.throws(() => route('/v2/models/%E0%A4%A'), /bad URL encoding/);
});
