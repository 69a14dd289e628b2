import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriftMonitor } from '../../../src/core/serve/driftMonitor';
import { buildProfile } from '../../../src/core/serve/driftProfile';
import {
  driftedFeatures,
  driftWarning,
  featureLabel,
  MIN_DRIFT_COUNT,
  modelNamesFromMetrics,
  parseModelDrift,
} from '../../../src/core/serve/driftReport';
import { parsePrometheusText } from '../../../src/core/serve/metricsText';
import { parseMonitorMessage } from '../../../src/shared/serveProtocol';
import type { TensorSpec } from '../../../src/core/serve/inferRequest';

/** A /stats answer as the server writes it, from a real DriftMonitor fed a reference and shifted live data. */
function statsOf(monitor: DriftMonitor): unknown {
  return JSON.parse(JSON.stringify({ model_name: 'm', drift: { reference: monitor.hasReference, inputs: monitor.stats() } }));
}

function rows(n: number, f: (row: number, col: number) => number, width = 3): Float32Array {
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) for (let c = 0; c < width; c++) out[r * width + c] = f(r, c);
  return out;
}

const spec: TensorSpec[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }];
const wave = (r: number, c: number) => Math.sin(r * 12.9898 + c * 78.233) * 2;

test('parseModelDrift reads the server monitor: reference counts, PSI only where it drifted', () => {
  const reference = buildProfile({ '*': { shape: [400, 3], data: rows(400, wave), featureNames: ['age', 'income', 'score'] } });
  const monitor = new DriftMonitor(spec, reference);
  monitor.observe([{ datatype: 'FP32', shape: [200, 3], data: rows(200, (r, c) => wave(r + 7, c) + (c === 1 ? 3 : 0)) }]);
  const drift = parseModelDrift('m', statsOf(monitor));
  assert.equal(drift.reference, true);
  assert.equal(drift.observed, 200);
  assert.equal(drift.referenceRows, 400);
  assert.deepEqual(
    drift.features.map((f) => [f.name, f.count, f.referenceCount]),
    [
      ['age', 200, 400],
      ['income', 200, 400],
      ['score', 200, 400],
    ],
  );
  const drifted = driftedFeatures(drift, 0.2);
  assert.deepEqual(drifted.map(featureLabel), ['income']);
  assert.ok(drifted[0].psi! > 1 && drifted[0].ks! > 0.5);
  assert.ok(drift.features[0].psi! < 0.2 && drift.features[2].psi! < 0.2);
  assert.ok(Math.abs(drifted[0].mean! - drifted[0].referenceMean! - 3) < 0.3);
  assert.equal(driftWarning('m', drifted, 0.2), `Input drift on model m: feature income PSI ${drifted[0].psi!.toFixed(2)} > 0.2`);
  // A higher threshold: nothing drifted.
  assert.deepEqual(driftedFeatures(drift, drifted[0].psi! + 1), []);
});

test('too few observed values are never judged; several drifted features are counted in the warning', () => {
  const reference = buildProfile({ '*': { shape: [400, 3], data: rows(400, wave) } });
  const monitor = new DriftMonitor(spec, reference);
  monitor.observe([{ datatype: 'FP32', shape: [MIN_DRIFT_COUNT - 1, 3], data: rows(MIN_DRIFT_COUNT - 1, () => 50) }]);
  let drift = parseModelDrift('m', statsOf(monitor));
  assert.ok(drift.features.every((f) => f.psi! > 1));
  assert.deepEqual(driftedFeatures(drift, 0.2), [], 'fewer values than the minimum');
  monitor.observe([{ datatype: 'FP32', shape: [1, 3], data: rows(1, () => 50) }]);
  drift = parseModelDrift('m', statsOf(monitor));
  const drifted = driftedFeatures(drift, 0.2);
  assert.equal(drifted.length, 3);
  assert.match(driftWarning('m', drifted, 0.2), /^Input drift on model m: feature x\[\d\] PSI \d+\.\d\d > 0\.2 \(and 2 more features\)$/);
});

test('without a reference: no rows, reference false; layout mismatches become notes', () => {
  const monitor = new DriftMonitor(spec);
  monitor.observe([{ datatype: 'FP32', shape: [5, 3], data: rows(5, wave) }]);
  const drift = parseModelDrift('m', statsOf(monitor));
  assert.deepEqual(
    { ...drift, features: drift.features.length },
    { model: 'm', reference: false, observed: 5, referenceRows: null, features: 0, notes: [] },
  );

  const withRef = new DriftMonitor(spec, buildProfile({ '*': { shape: [10, 3], data: rows(10, wave) } }));
  withRef.observe([{ datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }]);
  assert.match(parseModelDrift('m', statsOf(withRef)).notes.join(), /1 request\(s\) to input 'x' were left out/);
});

test('parseModelDrift refuses what is not a stats answer and drops malformed rows', () => {
  assert.throws(() => parseModelDrift('m', { error: 'unknown model' }), /has no drift section/);
  assert.throws(() => parseModelDrift('m', []), /has no drift section/);
  const d = parseModelDrift('m', {
    drift: {
      reference: true,
      inputs: [
        7,
        { name: 'x', reference: true, observed: 'many', features: [null, { index: 0, psi: 'big', ks: 0.5, count: -3, mean: Infinity }] },
      ],
    },
  });
  assert.equal(d.observed, 0);
  assert.deepEqual(d.features, [
    {
      input: 'x',
      index: 0,
      psi: null,
      ks: 0.5,
      count: 0,
      mean: null,
      std: null,
      referenceCount: null,
      referenceMean: null,
      referenceStd: null,
    },
  ]);
});

test('model names come from mlw_model_ready on /metrics', () => {
  const text =
    '# TYPE mlw_model_ready gauge\nmlw_model_ready{model="b"} 1\nmlw_model_ready{model="a"} 0\nmlw_requests_total{model="c",code="200"} 3\n';
  assert.deepEqual(modelNamesFromMetrics(parsePrometheusText(text)), ['a', 'b']);
});

test('parseMonitorMessage accepts the monitor messages and nothing else', () => {
  assert.deepEqual(parseMonitorMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseMonitorMessage({ type: 'openSettings', extra: 1 }), { type: 'openSettings' });
  assert.deepEqual(parseMonitorMessage({ type: 'buildProfile', model: 'iris.v2' }), { type: 'buildProfile', model: 'iris.v2' });
  for (const bad of [
    null,
    [],
    'ready',
    { type: 'buildProfile' },
    { type: 'buildProfile', model: '../x' },
    { type: 'buildProfile', model: 3 },
    { type: 'eval' },
  ]) {
    assert.equal(parseMonitorMessage(bad), undefined, JSON.stringify(bad));
  }
});
