import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelSetsFromMetadata, labelsForClasses, parseLabels } from '../../../src/core/ort/classLabels';
import { imageLikeShape, tensorToImage } from '../../../src/core/media';

test('labels from metadata: JSON list, id2label map, Python dict, plain lists; used only when they fit', () => {
  assert.deepEqual([...parseLabels('["cat", "dog"]')!.values()], ['cat', 'dog']);
  assert.deepEqual(
    [...parseLabels('{"0": "NEGATIVE", "1": "POSITIVE"}')!.entries()],
    [
      [0, 'NEGATIVE'],
      [1, 'POSITIVE'],
    ],
  );
  assert.deepEqual([...parseLabels("{0: 'person', 1: \"bicycle\", 2: 'it\\'s'}")!.values()], ['person', 'bicycle', "it's"]);
  assert.deepEqual([...parseLabels("['a', 'b', 'c']")!.values()], ['a', 'b', 'c']);
  assert.deepEqual([...parseLabels('tench\ngoldfish\nshark')!.values()], ['tench', 'goldfish', 'shark']);
  assert.equal(parseLabels('just a sentence'), undefined);
  const sets = labelSetsFromMetadata([
    { key: 'author', value: 'me' },
    { key: 'names', value: "{0: 'person', 1: 'car'}" },
    { key: 'Labels', value: '["a","b","c"]' },
  ]);
  assert.deepEqual(
    sets.map((s) => s.key),
    ['Labels', 'names'],
  );
  assert.equal(labelsForClasses(sets, 3)?.key, 'Labels');
  assert.equal(labelsForClasses(sets, 2)?.key, 'names');
  assert.equal(labelsForClasses(sets, 5), undefined);
});

test('image-like outputs: NCHW, NHWC, [N,H,W] masks; 0..1 scaled by 255, other ranges stretched', () => {
  assert.deepEqual(imageLikeShape([1, 3, 8, 9]), { layout: 'nchw', channels: 3, height: 8, width: 9 });
  assert.deepEqual(imageLikeShape([1, 16, 8, 1]), { layout: 'nhwc', channels: 1, height: 16, width: 8 });
  assert.deepEqual(imageLikeShape([2, 8, 8]), { layout: 'nhw', channels: 1, height: 8, width: 8 });
  assert.equal(imageLikeShape([1, 1000]), undefined);
  assert.equal(imageLikeShape([1, 3, 4, 4]), undefined);
  const unit = tensorToImage(
    Float32Array.from({ length: 64 }, (_, i) => i / 63),
    [1, 1, 8, 8],
  )!;
  assert.equal(unit.scaling, 'values in 0..1 × 255');
  assert.deepEqual([unit.image.data[0], unit.image.data[63]], [0, 255]);
  const classes = tensorToImage(
    BigInt64Array.from({ length: 128 }, (_, i) => BigInt(i % 3)),
    [2, 8, 8],
  )!;
  assert.match(classes.scaling, /min 0 .. max 2 stretched/);
  assert.deepEqual(Array.from(classes.image.data.subarray(0, 3)), [0, 128, 255]);
});
