/**
 * Variants found and grouped as the Models view and the pickers see them: metadata props read without the graph,
 * parents matched by sha256 (the likeliest file hashed first, each file once per mtime), chains, orphans, the hash
 * budget, and the lineage's variant chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { variantChain, type LineageRecord } from '../../../src/core/deploy/lineage';
import { descendantsOf, ModelVariantIndex, parentCandidates, type FileStamp } from '../../../src/core/models/modelVariants';
import { readMetadataProps } from '../../../src/core/onnx/readMetadataProps';
import { PARENT_SHA256_KEY, RECIPE_KEY, setMetadataProps } from '../../../src/core/optimize';
import { sha256File } from '../../../src/core/sha256File';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';

const MODEL = join(CORPUS_DIR, 'pytorch-converted/test_Conv2d/model.onnx');

const stamp = (path: string): FileStamp => {
  const s = statSync(path);
  return { path, mtimeMs: s.mtimeMs, size: s.size };
};

async function variant(dir: string, name: string, parent: string, recipe: string): Promise<string> {
  const file = join(dir, name);
  copyFileSync(MODEL, file);
  await setMetadataProps(file, { [PARENT_SHA256_KEY]: (await sha256File(parent)).sha256, [RECIPE_KEY]: recipe });
  return file;
}

test('variants are grouped under the file their metadata names by sha256, chains and orphans included', async (t) => {
  if (!needs(t, 'the ONNX test corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const dir = mkdtempSync(join(tmpdir(), 'mlw-variants-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const original = join(dir, 'conv.onnx');
  copyFileSync(MODEL, original);
  await setMetadataProps(original, { author: 'me' }); // other metadata is no variant
  const basic = await variant(dir, 'conv.ort-basic.onnx', original, 'ort-basic');
  const chained = await variant(dir, 'conv.ort-basic.ort-extended.onnx', basic, 'ort-extended');
  const other = join(dir, 'other.onnx');
  copyFileSync(MODEL, other);
  await setMetadataProps(other, { note: 'not the parent: a different sha256' });
  const orphan = join(dir, 'lost.fp16.onnx');
  copyFileSync(MODEL, orphan);
  await setMetadataProps(orphan, { [PARENT_SHA256_KEY]: 'ab'.repeat(32), [RECIPE_KEY]: 'fp16' });

  assert.deepEqual(
    (await readMetadataProps(basic)).filter((p) => p.key.startsWith('mlw.')).map((p) => p.key),
    [PARENT_SHA256_KEY, RECIPE_KEY],
  );
  assert.deepEqual(await readMetadataProps(MODEL), []);

  const hashed: string[] = [];
  const index = new ModelVariantIndex({
    hash: async (p) => {
      hashed.push(p);
      return (await sha256File(p)).sha256;
    },
  });
  const files = [original, basic, chained, other, orphan].map(stamp);
  const g = await index.group(files);
  assert.deepEqual(
    [...g.parentOf],
    [
      [basic, original],
      [chained, basic],
    ],
  );
  assert.deepEqual([...g.orphans], [orphan]);
  assert.equal(g.info.get(basic)?.recipe, 'ort-basic');
  assert.equal(g.info.has(original), false);
  assert.deepEqual(descendantsOf(g, original), [basic, chained]);
  assert.deepEqual(g.childrenOf.get(original), [basic]);
  // The likeliest parents first: conv.onnx for conv.ort-basic.onnx, conv.ort-basic.onnx for the chained one.
  assert.deepEqual(hashed.slice(0, 2), [original, basic]);
  assert.equal(new Set(hashed).size, hashed.length, 'each file hashed once');

  const before = hashed.length;
  await index.group(files);
  assert.equal(hashed.length, before, 'nothing is hashed again while mtimes are unchanged');

  // The original changed: its variants are no longer its variants.
  writeFileSync(original, Buffer.from([0x08, 0x07]), { flag: 'a' }); // one more ir_version field: still a valid model
  const changed = await index.group([original, basic, chained, other, orphan].map(stamp));
  assert.deepEqual([...changed.orphans].sort(), [basic, orphan].sort());
  assert.deepEqual([...changed.parentOf], [[chained, basic]]);

  // Without a budget for hashing, parents are not looked for in files not hashed yet.
  const fresh = new ModelVariantIndex();
  const none = await fresh.group(files.slice(0, 2), { hashBudgetBytes: 0 });
  assert.deepEqual([...none.orphans], [basic]);
});

test('parentCandidates: the variant name minus its recipe suffix first, then its folder, then elsewhere', () => {
  const s = (path: string): FileStamp => ({ path, mtimeMs: 0, size: 1 });
  const order = parentCandidates('/w/m/a.b.int8.onnx', [
    s('/w/z.onnx'),
    s('/w/m/c.onnx'),
    s('/w/m/a.onnx'),
    s('/w/m/a.b.onnx'),
    s('/w/m/a.b.int8.onnx'),
  ]);
  assert.deepEqual(
    order.map((f) => f.path),
    ['/w/m/a.b.onnx', '/w/m/a.onnx', '/w/m/c.onnx', '/w/z.onnx'],
  );
});

test('variantChain follows variant records from a model up to its original', () => {
  const r = (modelHash: string, parentHash: string, recipe: string): LineageRecord => ({
    at: '2025-01-01T00:00:00Z',
    kind: 'variant',
    modelPath: `/w/${recipe}.onnx`,
    modelHash,
    parentHash,
    parentPath: '/w/p.onnx',
    recipe,
  });
  const records = [
    r('b', 'a', 'ort-basic'),
    r('c', 'b', 'ort-extended'),
    { ...r('c', 'b', 'x'), kind: 'image' as const },
    r('x', 'x', 'loop'),
  ];
  assert.deepEqual(
    variantChain(records, 'c').map((x) => x.recipe),
    ['ort-extended', 'ort-basic'],
  );
  assert.deepEqual(variantChain(records, 'a'), []);
  assert.equal(variantChain(records, 'x').length, 1, 'a record naming itself ends the chain');
});
