import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProfile, featureLayout, parseProfile, profileToJson, MAX_FEATURES } from '../../../src/core/serve/driftProfile';
import { DriftMonitor } from '../../../src/core/serve/driftMonitor';
import type { HostTensor } from '../../../src/core/serve/datatypes';

test('feature layout: every element for small rows, the last axis for large ones', () => {
  assert.deepEqual(featureLayout([4]), { mode: 'element', width: 4, features: 4 });
  assert.deepEqual(featureLayout([3, 8, 8]), { mode: 'element', width: 192, features: 192 });
  assert.deepEqual(featureLayout([]), { mode: 'element', width: 1, features: 1 });
  assert.deepEqual(featureLayout([3, 224, 224]), { mode: 'lastAxis', width: 224, features: 224 });
  assert.deepEqual(featureLayout([1000]), { mode: 'lastAxis', width: 1000, features: MAX_FEATURES });
});

test('buildProfile: per-feature statistics, quantile edges, fractions and a sorted sample', () => {
  // Two features: f0 = 1..10, f1 = 10 x 5 (constant), plus one NaN row for f0.
  const rows = 11;
  const data = new Float64Array(rows * 2);
  for (let i = 0; i < 10; i++) {
    data[i * 2] = i + 1;
    data[i * 2 + 1] = 5;
  }
  data[20] = NaN;
  data[21] = 5;
  const p = buildProfile({ x: { shape: [rows, 2], data, featureNames: ['a', 'b'] } }, { bins: 4, sampleSize: 4 });
  const [a, b] = p.inputs.x.features;
  assert.equal(p.inputs.x.mode, 'element');
  assert.equal(p.inputs.x.rows, 11);
  assert.equal(a.name, 'a');
  assert.equal(a.count, 10);
  assert.equal(a.missing, 1);
  assert.equal(a.mean, 5.5);
  assert.ok(Math.abs(a.std - Math.sqrt(8.25)) < 1e-12);
  assert.deepEqual([a.min, a.max], [1, 10]);
  assert.deepEqual(a.edges, [3.25, 5.5, 7.75]);
  assert.deepEqual(a.fractions, [0.3, 0.2, 0.2, 0.3]);
  assert.deepEqual(a.sample, [2.125, 4.375, 6.625, 8.875]);
  assert.deepEqual(b.edges, [5]);
  assert.deepEqual(b.fractions, [0, 1]);
  assert.equal(b.std, 0);
  // JSON round trip through the checker.
  const back = parseProfile(JSON.parse(profileToJson(p)));
  assert.deepEqual(back.inputs.x.features[0].edges, a.edges);
  assert.throws(() => parseProfile({ format: 'x' }), /not an ML Workbench drift profile/);
  assert.throws(() => buildProfile({ x: { shape: [3, 2], data: [1, 2, 3] } }), /do not fill rows/);
  assert.throws(() => buildProfile({ x: { shape: [1], data: [1] } }, { bins: 1 }), /bins must be/);
});

test('DriftMonitor: same distribution -> PSI and KS near 0; shifted feature -> large PSI and KS', () => {
  const n = 2000;
  const ref = new Float64Array(n * 2);
  let s = 1;
  const rand = () => (s = (s * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < n * 2; i++) ref[i] = rand();
  const profile = buildProfile({ '*': { shape: [n, 2], data: ref } }, { bins: 10 });
  const monitor = new DriftMonitor([{ name: 'input', datatype: 'FP32', shape: [-1, 2] }], profile);
  assert.deepEqual(monitor.warnings, []);
  assert.equal(monitor.hasReference, true);
  const batch = (shift: number): HostTensor => {
    const d = new Float32Array(200 * 2);
    for (let i = 0; i < 200; i++) {
      d[i * 2] = rand() + shift;
      d[i * 2 + 1] = rand();
    }
    return { datatype: 'FP32', shape: [200, 2], data: d };
  };
  for (let i = 0; i < 5; i++) monitor.observe([batch(0)]);
  let [stats] = monitor.stats();
  assert.equal(stats.observed, 1000);
  assert.equal(stats.features[0].count, 1000);
  assert.ok(stats.features[0].psi! < 0.05, `psi ${stats.features[0].psi}`);
  assert.ok(stats.features[0].ks! < 0.1, `ks ${stats.features[0].ks}`);
  assert.ok(Math.abs(stats.features[0].mean! - 0.5) < 0.05);
  monitor.reset();
  for (let i = 0; i < 5; i++) monitor.observe([batch(0.5)]);
  [stats] = monitor.stats();
  assert.ok(stats.features[0].psi! > 1, `psi ${stats.features[0].psi}`);
  assert.ok(stats.features[0].ks! > 0.4, `ks ${stats.features[0].ks}`);
  assert.ok(stats.features[1].psi! < 0.05);
  // A request of another layout is left out, not mixed in.
  monitor.observe([{ datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }]);
  assert.equal(monitor.stats()[0].skipped, 1);
});

test('DriftMonitor without a reference keeps moments; non-numeric inputs are ignored; big tensors are sampled', () => {
  const m = new DriftMonitor(
    [
      { name: 's', datatype: 'BYTES', shape: [-1] },
      { name: 'ids', datatype: 'INT64', shape: [-1, 2] },
      { name: 'img', datatype: 'FP16', shape: [-1, 300] },
    ],
    undefined,
    { elementBudget: 600 },
  );
  const img = new Uint16Array(10 * 300).fill(0x3c00); // 1.0
  m.observe([
    { datatype: 'BYTES', shape: [1], data: ['a'] },
    { datatype: 'INT64', shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, 4n]) },
    { datatype: 'FP16', shape: [10, 300], data: img },
  ]);
  const [ids, image] = m.stats();
  assert.equal(ids.name, 'ids');
  assert.deepEqual(
    ids.features.map((f) => [f.count, f.mean, f.min, f.max, f.psi]),
    [
      [2, 2, 1, 3, null],
      [2, 3, 2, 4, null],
    ],
  );
  assert.equal(image.mode, 'lastAxis');
  assert.equal(image.features.length, MAX_FEATURES);
  assert.equal(image.observed, 2, 'a budget of 600 values takes every 5th vector of 300');
  assert.equal(image.features[0].mean, 1);
});

test('profile input names map to model inputs: exact, "*", or the only input', () => {
  const p = buildProfile({ other: { shape: [2, 1], data: [1, 2] } });
  const m = new DriftMonitor([{ name: 'x', datatype: 'FP32', shape: [-1, 1] }], p);
  assert.equal(m.hasReference, true);
  assert.match(m.warnings[0], /profile input 'other' used for the model's only input 'x'/);
  const two = new DriftMonitor(
    [
      { name: 'x', datatype: 'FP32', shape: [-1, 1] },
      { name: 'y', datatype: 'FP32', shape: [-1, 1] },
    ],
    p,
  );
  assert.equal(two.hasReference, false);
  assert.match(two.warnings[0], /matches no model input/);
  const wrong = new DriftMonitor([{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], p);
  assert.ok(
    wrong.warnings.some((w) => /layout element\/1 differs from the model's element\/3/.test(w)),
    wrong.warnings.join('; '),
  );
});
