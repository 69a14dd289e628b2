import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import { candidateLocations, findModelPaths } from '../../../src/core/models/findModelPaths';

const paths = (text: string, yaml = false) => findModelPaths(text, { yaml }).map((c) => c.path);

describe('findModelPaths', () => {
  it('finds double- and single-quoted literals in Python', () => {
    const text = `sess = ort.InferenceSession("models/linear.onnx")\nother = 'a/b.ONNX'\nnot_model = "data.csv"`;
    assert.deepEqual(paths(text), ['models/linear.onnx', 'a/b.ONNX']);
  });

  it('reports offsets of the content without quotes', () => {
    const text = `x = "models/conv2d.onnx"`;
    const [c] = findModelPaths(text);
    assert.equal(text.slice(c.start, c.end), 'models/conv2d.onnx');
  });

  it('handles raw and prefixed Python strings', () => {
    assert.deepEqual(paths(String.raw`p = r"C:\models\net.onnx"; q = f"m.onnx"`), [String.raw`C:\models\net.onnx`, 'm.onnx']);
  });

  it('resolves escaped quotes and skips literals that do not end in .onnx', () => {
    assert.deepEqual(paths(String.raw`"it\"s.onnx" "model.onnx.bak" "x.onnx.data"`), ['it"s.onnx']);
  });

  it('finds template literals without substitutions only', () => {
    assert.deepEqual(paths('const a = `models/a.onnx`; const b = `models/${name}.onnx`;'), ['models/a.onnx']);
  });

  it('skips Python triple-quoted strings and unterminated literals', () => {
    assert.deepEqual(paths('"""see "doc.onnx" here"""\nx = "open.onnx\ny = "ok.onnx"'), ['ok.onnx']);
  });

  it('skips URLs', () => {
    assert.deepEqual(paths(`url = "https://example.com/model.onnx"`), []);
  });

  it('finds JSON string values', () => {
    assert.deepEqual(paths(JSON.stringify({ model: 'models/experiments/gemm.onnx', n: 1 })), ['models/experiments/gemm.onnx']);
  });

  it('finds quoted and plain YAML scalars, and ignores comments', () => {
    const text = [
      'model: models/linear.onnx',
      'quoted: "models/conv2d.onnx"',
      "single: 'it''s.onnx'",
      'list:',
      '  - models/experiments/gemm.onnx  # the small one',
      '# old: models/old.onnx',
      'other: data.csv',
    ].join('\n');
    const found = findModelPaths(text, { yaml: true });
    assert.deepEqual(
      found.map((c) => c.path),
      ['models/linear.onnx', 'models/conv2d.onnx', "it's.onnx", 'models/experiments/gemm.onnx'],
    );
    for (const c of found.filter((x) => !x.path.includes("'"))) assert.equal(text.slice(c.start, c.end), c.path);
  });

  it('returns candidates in text order', () => {
    const found = findModelPaths(`b: 'x.onnx'\na: y.onnx`, { yaml: true });
    assert.deepEqual(
      found.map((c) => c.path),
      ['x.onnx', 'y.onnx'],
    );
  });
});

describe('candidateLocations', () => {
  it('tries the document folder first, then each workspace root, without duplicates', () => {
    assert.deepEqual(candidateLocations('./models/a.onnx', '/ws/src', ['/ws', '/ws/src'], posix.join, posix.isAbsolute), [
      '/ws/src/models/a.onnx',
      '/ws/models/a.onnx',
    ]);
  });

  it('keeps absolute paths as they are', () => {
    assert.deepEqual(candidateLocations('/abs/a.onnx', '/ws', ['/ws'], posix.join, posix.isAbsolute), ['/abs/a.onnx']);
  });

  it('uses only the roots when there is no document folder', () => {
    assert.deepEqual(candidateLocations('a.onnx', undefined, ['/r1', '/r2'], posix.join, posix.isAbsolute), ['/r1/a.onnx', '/r2/a.onnx']);
  });
});
