/**
 * Drift end to end: numpy writes reference data (.npy v1/v2, several dtypes), `mlw profile` builds profile.json,
 * the server gets it as a reference, and /stats and /metrics report PSI and KS: small for in-distribution traffic,
 * large for the one shifted feature.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileCommand } from '../../../src/cli/commands/profile';
import { serveCommand } from '../../../src/cli/commands/serve';
import { UsageError, type CliContext } from '../../../src/cli/cliCommand';
import { npyToFloat64, parseNpy } from '../../../src/core/ort/parseNpy';

/** A .npy file's shape and its values as numbers, as drift profiles read it. */
const readNpy = (bytes: Uint8Array) => {
  const a = parseNpy(bytes);
  return { shape: a.shape, data: npyToFloat64(a) };
};
import { parseProfile } from '../../../src/core/serve/driftProfile';
import { driftedFeatures, driftWarning, parseModelDrift, sidecarProfilePath } from '../../../src/core/serve/driftReport';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { silentLogger } from '../../../src/core/logger';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { destroyAgent, postJson, request, torchModel } from './fixtures';

const HAS_NUMPY = pythonHas('numpy');
const HAS_TORCH = HAS_NUMPY && pythonHas('torch') && pythonHas('onnx');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-drift-'));
const servers: RunningServer[] = [];

after(async () => {
  for (const s of servers) await s.close();
  destroyAgent();
  rmSync(dir, { recursive: true, force: true });
});

function ctx(signal = new AbortController().signal): CliContext & { lines: string[] } {
  const lines: string[] = [];
  return { workspace: dir, json: false, out: (t) => lines.push(t), err: (t) => lines.push(t), logger: silentLogger, signal, lines };
}

let generated = false;
function generate(): void {
  if (generated) return;
  execFileSync(
    SYSTEM_PYTHON,
    [
      '-c',
      `
import numpy as np, json, os
os.chdir(${JSON.stringify(dir)})
rng = np.random.default_rng(0)
x = rng.normal(0, 1, (2000, 16)).astype('<f4')
np.save('ref.npy', x)
with open('ref_v2.npy', 'wb') as f:
    np.lib.format.write_array(f, x, version=(2, 0))
expect = {}
for dt, values in [('<f4', [1.5, -2, 3, 2**40]), ('<f8', [0.1, -2, 3, 2**60]), ('<i4', [1, -2, 3, 2**31 - 1]), ('<i8', [1, -2, 3, 2**40]),
                   ('|u1', [1, 2, 3, 255]), ('<i2', [1, -2, 3, -32768]), ('<f2', [1.5, -2, 3, 70000]), ('|b1', [True, False, True, True])]:
    a = np.array(values, dtype=dt).reshape(2, 2)
    np.save('small_%s.npy' % dt.strip('<|'), a)
    expect[dt.strip('<|')] = [float(v) if np.isfinite(v) else 'inf' for v in a.astype('f8').reshape(-1)]
json.dump(expect, open('expect.json', 'w'))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3)))
np.savetxt('ref.csv', x[:500, :3], delimiter=',', header='a,b,c', comments='')
json.dump({'x': x[:50].tolist()}, open('named.json', 'w'))
`,
    ],
    { timeout: 120_000 },
  );
  generated = true;
}

const ready = (t: TestContext, torch = false) =>
  torch
    ? needs(t, 'python3-torch, python3-onnx and numpy', HAS_TORCH, 'apt-get install python3-torch python3-onnx python3-numpy')
    : needs(t, 'python3-numpy', HAS_NUMPY, 'apt-get install python3-numpy');

test('the .npy reader reads what numpy writes (v1, v2, f2/f4/f8/i2/i4/i8/u1) and refuses Fortran order', (t) => {
  if (!ready(t)) return;
  generate();
  const v1 = readNpy(readFileSync(path.join(dir, 'ref.npy')));
  const v2 = readNpy(readFileSync(path.join(dir, 'ref_v2.npy')));
  assert.deepEqual(v1.shape, [2000, 16]);
  assert.equal(readFileSync(path.join(dir, 'ref_v2.npy'))[6], 2);
  assert.deepEqual(v2.data, v1.data);
  // Values as numpy itself reads them (float16 70000 overflows to inf).
  const expect = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Record<string, (number | string)[]>;
  assert.equal(Object.keys(expect).length, 8);
  for (const [dt, values] of Object.entries(expect)) {
    const a = readNpy(readFileSync(path.join(dir, `small_${dt}.npy`)));
    assert.deepEqual(a.shape, [2, 2], dt);
    assert.deepEqual(
      Array.from(a.data),
      values.map((v) => (v === 'inf' ? Infinity : v)),
      dt,
    );
  }
  assert.deepEqual(expect.f2, [1.5, -2, 3, 'inf']);
  assert.throws(() => readNpy(readFileSync(path.join(dir, 'fortran.npy'))), /Fortran-ordered/);
});

test('mlw profile: .npy, .csv and .json into profile.json; usage errors', async (t) => {
  if (!ready(t)) return;
  generate();
  const c = ctx();
  assert.equal(await profileCommand.run(['ref.npy', '-o', 'profile.json', '--bins', '10'], c), 0);
  assert.match(c.lines.join('\n'), /\*: 2000 rows, 16 features \(element\)/);
  const p = parseProfile(JSON.parse(readFileSync(path.join(dir, 'profile.json'), 'utf8')));
  const f = p.inputs['*'].features;
  assert.equal(f.length, 16);
  for (const feature of f) {
    assert.equal(feature.edges.length, 9);
    assert.ok(Math.abs(feature.fractions.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(
      feature.fractions.every((x) => Math.abs(x - 0.1) < 0.002),
      'quantile bins hold a tenth each',
    );
    assert.equal(feature.sample.length, 1000);
    assert.ok(Math.abs(feature.mean) < 0.1 && Math.abs(feature.std - 1) < 0.1);
  }
  const csv = ctx();
  csv.json = true;
  assert.equal(await profileCommand.run(['ref.csv', '-o', 'csv.json', '--input', 'input'], csv), 0);
  assert.deepEqual(JSON.parse(csv.lines[0]).inputs, [{ input: 'input', rows: 500, features: 3, mode: 'element' }]);
  assert.deepEqual(
    parseProfile(JSON.parse(readFileSync(path.join(dir, 'csv.json'), 'utf8'))).inputs.input.features.map((x) => x.name),
    ['a', 'b', 'c'],
  );
  assert.equal(await profileCommand.run(['named.json', '-o', 'named-profile.json', '--bins', '4'], ctx()), 0);
  assert.equal(parseProfile(JSON.parse(readFileSync(path.join(dir, 'named-profile.json'), 'utf8'))).inputs.x.features[0].edges.length, 3);
  await assert.rejects(profileCommand.run(['ref.npy'], ctx()), UsageError);
  await assert.rejects(profileCommand.run(['ref.npy', '-o', 'x.json', '--bins', '1'], ctx()), UsageError);
  await assert.rejects(profileCommand.run(['fortran.npy', '-o', 'x.json'], ctx()), /Fortran-ordered/);
});

test('the server reports PSI and KS per feature on /stats and /metrics', async (t) => {
  if (!ready(t, true)) return;
  generate();
  assert.equal(await profileCommand.run(['ref.npy', '-o', 'profile.json'], ctx()), 0);
  const profile = parseProfile(JSON.parse(readFileSync(path.join(dir, 'profile.json'), 'utf8')));
  const model = torchModel('mlp');
  const server = await startServer(
    {
      models: [
        { name: 'same', path: model },
        { name: 'shifted', path: model },
      ],
      port: 0,
      references: { '*': profile },
    },
    silentLogger,
  );
  servers.push(server);
  let s = 11;
  const normal = () => {
    // Box-Muller on a small LCG: deterministic N(0, 1).
    s = (s * 16807) % 2147483647;
    const u = s / 2147483647;
    s = (s * 16807) % 2147483647;
    const v = s / 2147483647;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  for (let r = 0; r < 20; r++) {
    const same = Array.from({ length: 25 * 16 }, normal);
    const shifted = Array.from({ length: 25 * 16 }, (_, i) => normal() + (i % 16 === 3 ? 2 : 0));
    for (const [name, data] of [
      ['same', same],
      ['shifted', shifted],
    ] as const) {
      const res = await postJson(`${server.url}/v2/models/${name}/infer`, {
        inputs: [{ name: 'input', shape: [25, 16], datatype: 'FP32', data }],
      });
      assert.equal(res.status, 200);
    }
  }
  await new Promise((r) => setTimeout(r, 20)); // statistics are updated just after each response
  const same = (await request(`${server.url}/v2/models/same/stats`)).json;
  assert.equal(same.drift.reference, true);
  const input = same.drift.inputs[0];
  assert.equal(input.name, 'input');
  assert.equal(input.observed, 500);
  assert.equal(input.features.length, 16);
  for (const f of input.features) {
    assert.equal(f.count, 500);
    assert.ok(f.psi < 0.1, `feature ${f.index} psi ${f.psi}`);
    assert.ok(f.ks < 0.12, `feature ${f.index} ks ${f.ks}`);
    assert.ok(Math.abs(f.mean) < 0.2 && Math.abs(f.std - 1) < 0.2 && f.min < -1 && f.max > 1);
  }
  const shifted = (await request(`${server.url}/v2/models/shifted/stats`)).json.drift.inputs[0].features;
  assert.ok(shifted[3].psi > 1, `psi ${shifted[3].psi}`);
  assert.ok(shifted[3].ks > 0.6, `ks ${shifted[3].ks}`);
  assert.ok(Math.abs(shifted[3].mean - 2) < 0.2);
  assert.ok(shifted[2].psi < 0.1 && shifted[4].ks < 0.12);
  const metrics = (await request(`${server.url}/metrics`)).body.toString();
  const psi = Number(/^mlw_drift_psi\{model="shifted",input="input",feature="3"\} (.+)$/m.exec(metrics)?.[1]);
  const ks = Number(/^mlw_drift_ks\{model="shifted",input="input",feature="3"\} (.+)$/m.exec(metrics)?.[1]);
  assert.ok(Math.abs(psi - shifted[3].psi) < 1e-9 && Math.abs(ks - shifted[3].ks) < 1e-9, `${psi} ${ks}`);
  assert.match(metrics, /^mlw_drift_psi\{model="same",input="input",feature="15"\} 0\.\d+/m);

  // The reference side of each row, and what the monitor makes of the answer.
  const raw = (await request(`${server.url}/v2/models/shifted/stats`)).json;
  assert.equal(raw.drift.inputs[0].reference_rows, 2000);
  assert.equal(raw.drift.inputs[0].features[3].reference_count, 2000);
  assert.ok(
    Math.abs(raw.drift.inputs[0].features[3].reference_mean) < 0.1 && Math.abs(raw.drift.inputs[0].features[3].reference_std - 1) < 0.1,
  );
  const drift = parseModelDrift('shifted', raw);
  assert.equal(drift.reference, true);
  assert.equal(drift.observed, 500);
  assert.equal(drift.referenceRows, 2000);
  assert.equal(drift.features.length, 16);
  const drifted = driftedFeatures(drift, 0.2);
  assert.deepEqual(
    drifted.map((f) => f.index),
    [3],
  );
  assert.match(driftWarning('shifted', drifted, 0.2), /^Input drift on model shifted: feature input\[3\] PSI \d+\.\d\d > 0\.2$/);
  assert.deepEqual(driftedFeatures(parseModelDrift('same', same), 0.2), []);
});

test('mlw serve picks up <model>.profile.json beside the model; a broken one is reported and ignored', async (t) => {
  if (!ready(t, true)) return;
  generate();
  const models = path.join(dir, 'sidecar');
  mkdirSync(models, { recursive: true });
  copyFileSync(torchModel('mlp'), path.join(models, 'good.onnx'));
  copyFileSync(torchModel('mlp'), path.join(models, 'broken.onnx'));
  copyFileSync(torchModel('mlp'), path.join(models, 'plain.onnx'));
  copyFileSync(path.join(dir, 'profile.json'), path.join(models, 'good.profile.json'));
  assert.equal(sidecarProfilePath(path.join(models, 'good.onnx')), path.join(models, 'good.profile.json'));
  writeFileSync(path.join(models, 'broken.profile.json'), '{"format":"something else"}');
  const warnings: string[] = [];
  const abort = new AbortController();
  const c = { ...ctx(abort.signal), logger: { ...silentLogger, warn: (m: string) => warnings.push(m) } };
  const done = serveCommand.run(['sidecar', '--port', '0', '--access-log', 'off'], c);
  while (!c.lines.some((l) => l.includes('"ready"'))) await new Promise((r) => setTimeout(r, 10));
  const ready_ = JSON.parse(c.lines.find((l) => l.includes('"ready"'))!);
  assert.deepEqual(
    ready_.models.map((m: { name: string; reference: boolean }) => [m.name, m.reference]),
    [
      ['broken', false],
      ['good', true],
      ['plain', false],
    ],
  );
  assert.ok(
    warnings.some((w) => /model 'broken': ignoring .*broken\.profile\.json: .*not an ML Workbench drift profile/.test(w)),
    warnings.join('\n'),
  );
  const stats = (await request(`${ready_.url}/v2/models/plain/stats`)).json;
  const plain = parseModelDrift('plain', stats);
  assert.equal(plain.reference, false);
  assert.deepEqual(plain.features, []);
  abort.abort();
  assert.equal(await done, 0);
});

test('mlw serve: JSON events on stdout, serves, and drains when the signal aborts', async (t) => {
  if (!ready(t, true)) return;
  generate();
  writeFileSync(path.join(dir, 'ref-profile.json'), readFileSync(path.join(dir, 'profile.json')));
  const abort = new AbortController();
  const c = ctx(abort.signal);
  const done = serveCommand.run([`m=${torchModel('mlp')}`, '--port', '0', '--reference', 'm=ref-profile.json', '--max-batch', '4'], c);
  while (!c.lines.some((l) => l.includes('"ready"'))) await new Promise((r) => setTimeout(r, 10));
  const events = c.lines.map((l) => JSON.parse(l));
  assert.equal(events[0].event, 'listening');
  assert.deepEqual(events[1], {
    event: 'ready',
    url: events[0].url,
    models: [{ name: 'm', path: torchModel('mlp'), batching: true, reference: true }],
  });
  const r = await postJson(`${events[0].url}/v2/models/m/infer`, {
    inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(0) }],
  });
  assert.equal(r.status, 200);
  assert.equal((await request(`${events[0].url}/v2/models/m/stats`)).json.drift.reference, true);
  abort.abort();
  assert.equal(await done, 0);
  const after = c.lines.map((l) => JSON.parse(l));
  assert.ok(after.some((e) => e.event === 'request' && e.path === '/v2/models/m/infer' && e.status === 200));
  assert.equal(after[after.length - 1].event, 'closed');
  await assert.rejects(serveCommand.run(['--port', '1'], ctx()), UsageError);
  await assert.rejects(
    serveCommand.run([torchModel('mlp'), '--reference', 'nope=ref-profile.json', '--port', '0'], ctx()),
    /not a served model/,
  );
});
