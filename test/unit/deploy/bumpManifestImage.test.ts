import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bumpManifestImage, ManifestBumpError } from '../../../src/core/deploy/bumpManifestImage';
import { renderKubernetesManifests } from '../../../src/core/deploy/kubernetesManifests';

const rendered = (kserve = false) =>
  renderKubernetesManifests({ name: 'clf-champion', image: 'reg:5000/clf:v1', modelName: 'clf', containerPort: 8080, kserve }).yaml;

test('bumps the Deployment image and nothing else: one changed line per container', () => {
  const text = rendered();
  const r = bumpManifestImage(text, { deployment: 'clf-champion', from: 'reg:5000/clf:v1', to: 'reg:5000/clf:v2' });
  assert.equal(r.changed, 1);
  const before = text.split('\n');
  const after = r.text.split('\n');
  assert.equal(after.length, before.length);
  const changed = after.map((l, i) => [before[i], l]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [['          image: reg:5000/clf:v1', '          image: reg:5000/clf:v2']]);
});

test('bumps the KServe predictor too, keeps comments, quoting and a user-added sidecar', () => {
  const text = `# reviewed by ops\n${rendered(true)}`
    .replace('image: reg:5000/clf:v1', 'image: "reg:5000/clf:v1" # the model')
    .replace('      containers:\n', '      containers:\n        - name: sidecar\n          image: busybox:1.36\n');
  const r = bumpManifestImage(text, { deployment: 'clf-champion', from: 'reg:5000/clf:v1', to: 'reg:5000/clf:v2' });
  assert.equal(r.changed, 2, 'the Deployment and the InferenceService');
  assert.match(r.text, /^# reviewed by ops\n/);
  assert.match(r.text, /image: "reg:5000\/clf:v2" # the model/);
  assert.match(r.text, /image: busybox:1\.36/);
  assert.doesNotMatch(r.text, /clf:v1/);
  assert.deepEqual(r.images.sort(), ['busybox:1.36', 'reg:5000/clf:v2', 'reg:5000/clf:v2']);
});

test('a manifest that names the new image already is left as it is', () => {
  const text = rendered().replace('clf:v1', 'clf:v2');
  const r = bumpManifestImage(text, { deployment: 'clf-champion', from: 'reg:5000/clf:v1', to: 'reg:5000/clf:v2' });
  assert.deepEqual([r.changed, r.text], [0, text]);
});

test('a renamed Deployment or a hand-changed image is a one-line error with a way out', () => {
  assert.throws(
    () => bumpManifestImage(rendered(), { deployment: 'other', from: 'reg:5000/clf:v1', to: 'reg:5000/clf:v2', file: 'k.yaml' }),
    (e: Error) => e instanceof ManifestBumpError && /k\.yaml has no Deployment named other: was it renamed\?/.test(e.message),
  );
  assert.throws(
    () =>
      bumpManifestImage(rendered().replace('clf:v1', 'clf:dev'), {
        deployment: 'clf-champion',
        from: 'reg:5000/clf:v1',
        to: 'reg:5000/clf:v2',
        file: 'k.yaml',
      }),
    /k\.yaml: no container of deployment clf-champion runs reg:5000\/clf:v1 \(they run reg:5000\/clf:dev\); set its image back/,
  );
  assert.throws(() => bumpManifestImage('a: [', { deployment: 'x', from: 'a', to: 'b', file: 'bad.yaml' }), /bad\.yaml: /);
});
