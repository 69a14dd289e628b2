import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegistryRef } from '../../../src/core/registry/registryRef';

test('NAME@ALIAS follows the alias, NAME@vN and NAME@N are pinned, other text is not a reference', () => {
  assert.deepEqual(parseRegistryRef('clf@champion'), { name: 'clf', ref: 'champion', follows: true });
  assert.deepEqual(parseRegistryRef('clf@v3'), { name: 'clf', ref: 'v3', follows: false });
  assert.deepEqual(parseRegistryRef('my.model-2@7'), { name: 'my.model-2', ref: '7', follows: false });
  for (const text of ['clf', '@champion', 'clf@', 'team/clf@champion', 'clf@sha256:abc', 'models/clf.onnx', 'clf@1x'])
    assert.equal(parseRegistryRef(text), undefined, text);
});
