/**
 * PNG and JPEG decoding against what PIL (or a stdlib PNG writer) wrote: every PNG pixel-exact (8- and 16-bit,
 * gray, gray+alpha, RGB, RGBA, palette, 1/2/4-bit, Adam7, every filter type), JPEGs within the rounding of two
 * IDCTs; PNG encoding read back exactly; corrupt files refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeImage, decodePng, encodePng, ImageDecodeError } from '../../../src/core/media';
import { manifest, maxAbsDiff, mediaFixtures, npy } from './mediaFixtures';

test('every PNG decodes pixel-exact to what PIL or the stdlib writer holds', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const names = manifest(dir).png;
  assert.ok(names.length >= 13);
  for (const name of names) {
    const image = decodeImage(readFileSync(path.join(dir, name)), name);
    const want = npy(dir, `${name}.npy`);
    assert.deepEqual([image.height, image.width, image.channels], want.shape, name);
    assert.equal(image.maxValue, want.type === 'uint16' ? 65535 : 255, name);
    assert.deepEqual(Array.from(image.data), Array.from(want.values as Uint8Array), name);
  }
});

test('JPEGs decode as PIL does: gray exactly, 4:4:4 and progressive within 3 levels, 4:2:0 within a mean of 3', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  for (const name of manifest(dir).jpeg) {
    const image = decodeImage(readFileSync(path.join(dir, name)), name);
    const want = npy(dir, `${name}.npy`);
    assert.deepEqual([image.height, image.width, image.channels], want.shape, name);
    const w = want.values as Uint8Array;
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += Math.abs(image.data[i] - w[i]);
    // The IDCT agrees (gray is exact); YCbCr -> RGB rounds differently (libjpeg's fixed point against floats), and
    // libjpeg smooths 4:2:0 chroma when upsampling where jpeg-js repeats it, which shows at sharp colour edges.
    const max = maxAbsDiff(image.data, w);
    const mean = sum / w.length;
    if (name === 'gray.jpg') assert.equal(max, 0, name);
    else if (name.includes('420')) assert.ok(mean < 3, `${name}: mean diff ${mean}`);
    else assert.ok(max <= 3 && mean < 1, `${name}: max diff ${max}, mean ${mean}`);
  }
});

test('encodePng writes gray, gray+alpha, RGB and RGBA that decode back exactly', () => {
  for (const channels of [1, 2, 3, 4] as const) {
    const width = 13;
    const height = 9;
    const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + channels) & 0xff);
    const back = decodePng(encodePng({ width, height, channels, data }));
    assert.deepEqual([back.width, back.height, back.channels], [width, height, channels]);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  }
});

test('corrupt or foreign files are refused in one line naming the file and the reason', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const cases: [string, RegExp][] = [
    ['corrupt_crc.png', /corrupt_crc\.png: corrupt PNG: CRC mismatch in chunk IDAT/],
    ['truncated.png', /truncated\.png: corrupt PNG: (chunk IDAT is truncated|no image data)/],
    ['not_an_image.png', /not_an_image\.png: not a PNG or JPEG image/],
    ['truncated.jpg', /truncated\.jpg: corrupt or unsupported JPEG \(/],
  ];
  for (const [name, pattern] of cases) {
    assert.throws(
      () => decodeImage(readFileSync(path.join(dir, name)), name),
      (e: Error) => e instanceof ImageDecodeError && pattern.test(e.message) && !e.message.includes('\n'),
      name,
    );
  }
});
