/**
 * Resizing and normalisation against numpy's computation of the same formulas (and torch's interpolate, which
 * numpy's agrees with), layouts, channel orders and metadata normalisation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  decodeImage,
  imageLayoutOf,
  imageToTensor,
  normalizationFromMetadata,
  presetNormalization,
  resizeBilinear,
  type DecodedImage,
  type ImagePreset,
} from '../../../src/core/media';
import { manifest, maxAbsDiff, mediaFixtures, npy } from './mediaFixtures';

test('resizeBilinear matches numpy (and torch interpolate, align_corners=False) up, down, antialiased or not', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const src = npy(dir, 'resize_src.npy');
  const [h, w, c] = src.shape;
  for (const r of manifest(dir).resize) {
    const got = resizeBilinear(src.values as Float32Array, h, w, c, r.height, r.width, { antialias: r.antialias });
    const want: Float32Array = Float32Array.from(npy(dir, `${r.name}.npy`).values as Float64Array);
    const torch = npy(dir, `${r.name}_torch.npy`).values as Float64Array;
    assert.equal(got.length, want.length, r.name);
    assert.ok(maxAbsDiff(got, want) <= 2e-5, `${r.name}: ${maxAbsDiff(got, want)} from numpy`);
    assert.ok(maxAbsDiff(got, torch) <= 2e-5, `${r.name}: ${maxAbsDiff(got, torch)} from torch`);
  }
});

test('each preset normalises as numpy computes (x*scale - mean) / std, NCHW', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const image = decodeImage(readFileSync(path.join(dir, 'pil_rgb.png')));
  for (const preset of manifest(dir).norm as ImagePreset[]) {
    const got = imageToTensor(image, { shape: [1, 3, 16, 16], normalization: presetNormalization(preset) });
    const want = npy(dir, `norm_${preset}.npy`);
    assert.deepEqual(got.shape, want.shape);
    assert.equal(got.layout, 'nchw');
    assert.ok(
      maxAbsDiff(got.data, want.values as Float32Array) <= 1e-5 * (preset === '0-255' ? 255 : 1),
      `${preset}: ${maxAbsDiff(got.data, want.values as Float32Array)}`,
    );
  }
});

const tiny: DecodedImage = {
  width: 2,
  height: 1,
  channels: 4,
  maxValue: 255,
  data: Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 0]),
};

test('layouts from the shape: NCHW, NHWC, CHW, HWC; BGR reverses channels; gray is ITU-R 601 luma; alpha dropped', () => {
  const n = presetNormalization('0-255');
  assert.deepEqual(Array.from(imageToTensor(tiny, { shape: [1, 3, 1, 2], normalization: n }).data), [10, 40, 20, 50, 30, 60]);
  const nhwc = imageToTensor(tiny, { shape: ['N', 1, 2, 3], normalization: n });
  assert.equal(nhwc.layout, 'nhwc');
  assert.deepEqual(Array.from(nhwc.data), [10, 20, 30, 40, 50, 60]);
  assert.deepEqual(imageToTensor(tiny, { shape: [3, 1, 2], normalization: n }).shape, [3, 1, 2]);
  assert.deepEqual(imageToTensor(tiny, { shape: [1, 2, 3], normalization: n }).shape, [1, 2, 3]);
  const bgr = imageToTensor(tiny, { shape: [1, 1, 2, 3], normalization: presetNormalization('0-255', true) });
  assert.deepEqual(Array.from(bgr.data), [30, 20, 10, 60, 50, 40]);
  const gray = imageToTensor(tiny, { shape: [1, 1, 1, 2], normalization: presetNormalization('0-1') });
  assert.ok(Math.abs(gray.data[0] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255) < 1e-6);
  // Free spatial dims take the image's size; a free channel axis takes 3.
  assert.deepEqual(imageToTensor(tiny, { shape: ['N', 'C', 'H', 'W'], normalization: n }).shape, [1, 3, 1, 2]);
  assert.deepEqual(imageToTensor(tiny, { shape: [1, 3, 'H', 'W'], height: 4, width: 6, normalization: n }).shape, [1, 3, 4, 6]);
  assert.match(String(imageLayoutOf([1, 784])), /rank 2/);
  assert.throws(() => imageToTensor(tiny, { shape: [4, 3, 8, 8] }), /fixed batch of 4/);
});

test('imagenet with BGR reverses mean and std with the channels; metadata mean/std in 0..255 or 0..1', () => {
  const bgr = presetNormalization('imagenet', true);
  assert.deepEqual(bgr.mean, [0.406, 0.456, 0.485]);
  const caffe = normalizationFromMetadata([
    { key: 'mean_values', value: '[103.53, 116.28, 123.675]' },
    { key: 'std_values', value: '57.375,57.12,58.395' },
    { key: 'color_order', value: 'BGR' },
  ]);
  assert.deepEqual(caffe && { scale: caffe.scale, bgr: caffe.bgr, mean: caffe.mean }, {
    scale: 1,
    bgr: true,
    mean: [103.53, 116.28, 123.675],
  });
  const unit = normalizationFromMetadata([
    { key: 'image_mean', value: '0.5' },
    { key: 'image_std', value: '[0.5]' },
  ]);
  assert.equal(unit?.scale, 1 / 255);
  assert.equal(normalizationFromMetadata([{ key: 'Normalization', value: '-1-1' }])?.source, 'metadata Normalization=-1-1');
  assert.equal(normalizationFromMetadata([{ key: 'author', value: 'x' }]), undefined);
});
