import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parsePipeline, PipelineError } from '../../../src/core/pipelines/readPipeline';
import { dirListingJson, hashPath } from '../../../src/core/pipelines/dvcHash';
import { HashCache } from '../../../src/core/pipelines/HashCache';
import { pipelineStatus } from '../../../src/core/pipelines/pipelineStatus';
import { tempDir } from '../runs/runsTestSupport';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
}

describe('dvc.yaml reading', () => {
  it('expands foreach over a list, a list of dicts and a dict, with ${item} and ${key}', async () => {
    const root = tempDir('mlw-pl-');
    const p = await parsePipeline(
      `stages:
  clean:
    foreach: [us, eu]
    do:
      cmd: python clean.py \${item}
      deps:
        - raw/\${item}.csv
      outs:
        - clean/\${item}.csv
  fit:
    foreach:
      - {lr: 0.1, name: small}
      - {lr: 0.01, name: big}
    do:
      cmd: python fit.py --lr \${item.lr}
      outs:
        - models/\${item.name}.pkl
  build:
    foreach:
      uk: {region: eu-west-2}
      us: {region: us-east-1}
    do:
      cmd: echo \${key} \${item.region}
`,
      root,
    );
    assert.deepEqual(
      p.stages.map((s) => [s.name, s.group, s.cmd]),
      [
        ['clean@us', 'clean', 'python clean.py us'],
        ['clean@eu', 'clean', 'python clean.py eu'],
        ['fit@0', 'fit', 'python fit.py --lr 0.1'],
        ['fit@1', 'fit', 'python fit.py --lr 0.01'],
        ['build@uk', 'build', 'echo uk eu-west-2'],
        ['build@us', 'build', 'echo us us-east-1'],
      ],
    );
    assert.deepEqual(p.stages[1].deps, ['raw/eu.csv']);
    assert.deepEqual(p.stages[3].outs, [{ path: 'models/big.pkl', kind: 'out', cache: true, persist: false }]);
  });

  it('expands matrix into every combination named by its values, and foreach over ${vars}', async () => {
    const root = tempDir('mlw-pl-');
    write(root, { 'params.yaml': 'models: [cnn, xgb]\n' });
    const p = await parsePipeline(
      `vars:
  - features: [f1, f2, f3]
stages:
  train:
    matrix:
      model: \${models}
      feature: \${features}
    cmd: ./train.py --feature \${item.feature} \${item.model}
    outs:
      - \${item.model}-\${item.feature}.pkl
  cfg:
    matrix:
      opt: [{name: adam}, {name: sgd}]
    cmd: echo \${item.opt.name}
`,
      root,
    );
    assert.deepEqual(
      p.stages.map((s) => s.name),
      ['train@cnn-f1', 'train@cnn-f2', 'train@cnn-f3', 'train@xgb-f1', 'train@xgb-f2', 'train@xgb-f3', 'cfg@opt0', 'cfg@opt1'],
    );
    assert.equal(p.stages[4].cmd, './train.py --feature f2 xgb');
    assert.equal(p.stages[4].outs[0].path, 'xgb-f2.pkl');
    assert.equal(p.stages[7].cmd, 'echo sgd');
  });

  it('fills ${} from params.yaml and vars, tracks the params.yaml values used, reads params/metrics/plots and \\${ escapes', async () => {
    const root = tempDir('mlw-pl-');
    write(root, {
      'params.yaml': 'train:\n  lr: 0.01\n  epochs: 3\n  flags: {verbose: true, quiet: false, seed: 1}\n',
      'extra.yaml': 'out_dir: build\nunused: 1\n',
    });
    const p = await parsePipeline(
      `vars:
  - extra.yaml:out_dir
  - tag: v1
stages:
  train:
    cmd: python train.py --lr \${train.lr} --out \${out_dir}/\${tag} \${train.flags} --literal \\\${x}
    deps: [train.py]
    params: [train.epochs, {other.yaml: [a.b]}, {whole.yaml: }]
    outs:
      - \${out_dir}/model.pt
    metrics: [{metrics.json: {cache: false}}]
    plots: [plots/loss.csv]
`,
      root,
    );
    const s = p.stages[0];
    assert.equal(s.cmd, 'python train.py --lr 0.01 --out build/v1 --verbose --seed 1 --literal ${x}');
    assert.deepEqual(s.params, [
      { file: 'params.yaml', keys: ['train.epochs', 'train.lr', 'train.flags'] },
      { file: 'other.yaml', keys: ['a.b'] },
      { file: 'whole.yaml', keys: null },
    ]);
    assert.deepEqual(
      s.outs.map((o) => [o.path, o.kind, o.cache]),
      [
        ['build/model.pt', 'out', true],
        ['metrics.json', 'metric', false],
        ['plots/loss.csv', 'plot', false],
      ],
    );
  });

  it('says which stage and name a missing ${} is', async () => {
    await assert.rejects(parsePipeline('stages:\n  a:\n    cmd: echo ${nope.x}\n', tempDir('mlw-pl-')), (e: Error) => {
      assert.ok(e instanceof PipelineError);
      assert.match(e.message, /Stage a: cmd: Could not find 'nope.x'/);
      return true;
    });
  });
});

describe('DVC 3 hashing', () => {
  it('hashes a directory as md5 of the sorted JSON listing plus .dir, byte for byte as Python json.dumps does', async () => {
    const root = tempDir('mlw-pl-');
    write(root, {
      'data/b.txt': 'bee\n',
      'data/a-b/c.txt': 'c',
      'data/a/z.txt': 'zed',
      'data/naïve "q".txt': 'unicode',
      'data/.git/ignored': 'x',
    });
    const cache = await HashCache.open(undefined);
    const h = await hashPath(path.join(root, 'data'), cache);
    // An independent reference: Python builds the documented listing and hashes it.
    const py = `
import hashlib, json, os, sys
root = sys.argv[1]
entries = []
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if x != '.git']
    for f in files:
        p = os.path.join(d, f)
        rel = os.path.relpath(p, root).replace(os.sep, '/')
        entries.append({'md5': hashlib.md5(open(p, 'rb').read()).hexdigest(), 'relpath': rel})
entries.sort(key=lambda e: e['relpath'])
print(hashlib.md5(json.dumps(entries, sort_keys=True).encode('utf-8')).hexdigest() + '.dir')
`;
    const expected = execFileSync('python3', ['-c', py, path.join(root, 'data')], { encoding: 'utf8' }).trim();
    assert.equal(h?.md5, expected);
    assert.equal(h?.nfiles, 4);
    assert.equal(h?.size, 4 + 1 + 3 + 7);
    assert.equal(
      dirListingJson([
        { relpath: 'b', md5: '2' },
        { relpath: 'é', md5: '1' },
      ]),
      '[{"md5": "2", "relpath": "b"}, {"md5": "1", "relpath": "\\u00e9"}]',
    );
  });

  it('reads a stage fresh against a dvc.lock written by hand in DVC 3 format, and stale after a dep or param changes', async () => {
    const root = tempDir('mlw-pl-');
    write(root, {
      'raw.csv': 'a,b\n1,2\n',
      'out/part.txt': 'p',
      'params.yaml': 'split: 0.2\nseed: 1\n',
      'dvc.yaml': 'stages:\n  prepare:\n    cmd: python prepare.py\n    deps: [raw.csv]\n    params: [split]\n    outs: [out]\n',
    });
    const py = `
import hashlib, json, sys
md5 = lambda b: hashlib.md5(b).hexdigest()
raw = md5(open(sys.argv[1] + '/raw.csv', 'rb').read())
listing = json.dumps([{'md5': md5(b'p'), 'relpath': 'part.txt'}], sort_keys=True).encode()
print(raw, md5(listing) + '.dir')
`;
    const [raw, dir] = execFileSync('python3', ['-c', py, root], { encoding: 'utf8' }).trim().split(' ');
    write(root, {
      'dvc.lock': `schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: raw.csv
      hash: md5
      md5: ${raw}
      size: 8
    params:
      params.yaml:
        split: 0.2
    outs:
    - path: out
      hash: md5
      md5: ${dir}
      size: 1
      nfiles: 1
`,
    });
    const { readPipeline } = await import('../../../src/core/pipelines/readPipeline');
    let st = await pipelineStatus(await readPipeline(root));
    assert.deepEqual(
      st.stages.map((s) => [s.name, s.state, s.reasons, s.lockedBy]),
      [['prepare', 'fresh', [], 'dvc.lock']],
    );
    write(root, { 'params.yaml': 'split: 0.3\nseed: 1\n', 'raw.csv': 'a,b\n1,3\n' });
    st = await pipelineStatus(await readPipeline(root));
    assert.deepEqual(st.stages[0].reasons, ['dep raw.csv modified', 'param split changed']);
  });
});
