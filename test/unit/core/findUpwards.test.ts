import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findUpwards } from '../../../src/core/findUpwards';

test('findUpwards finds the nearest matching folder, within the given number of parents', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-up-'));
  try {
    const deep = path.join(root, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    writeFileSync(path.join(root, 'marker'), '');
    const hasMarker = (d: string) => d.startsWith(root) && existsSync(path.join(d, 'marker'));
    assert.equal(findUpwards(deep, hasMarker), root);
    assert.equal(findUpwards(deep, hasMarker, 3), root, 'three parents up is within 3 levels');
    assert.equal(findUpwards(deep, hasMarker, 2), undefined, 'but not within 2');
    assert.equal(
      findUpwards(deep, () => false),
      undefined,
      'the walk ends at the file-system root',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
