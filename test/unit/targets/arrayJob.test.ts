/**
 * The job array's script and params file, run for real with bash as SLURM would run task i (SLURM_SUBMIT_DIR and
 * SLURM_ARRAY_TASK_ID set): each task gets its own params, environment and copy of the code, whatever the values hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ARRAY_PARAMS_FILE,
  ARRAY_SCRIPT,
  renderArrayJobScript,
  renderArrayParams,
  type ArrayTask,
} from '../../../src/core/targets/arrayJob';

/** A "script" that records its argv and two variables as JSON, and writes an output file into its cwd. */
const RECORDER = `import json, os, sys
json.dump({"argv": sys.argv[1:], "id": os.environ.get("MLW_RUN_ID"), "shared": os.environ.get("SHARED"), "cwd": os.getcwd(), "run_dir": os.environ.get("MLW_RUN_DIR")}, open(os.path.join(os.environ["MLW_RUN_DIR"], "seen.json"), "w"))
open("model.pt", "w").write(os.environ["MLW_RUN_ID"])
print("hello from", os.environ["MLW_RUN_ID"])
`;

test('each array task runs its own line of params.txt in t<i>/ with its own code copy; odd values arrive intact', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-array-unit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'code', 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'code', 'sub', 'rec.py'), RECORDER);
  const odd = `it's "quoted" $HOME \`x\` ; rm -rf / #`;
  const tasks: ArrayTask[] = [
    { env: { MLW_RUN_ID: 'r0' }, argv: ['python3', 'rec.py', '--name', odd] },
    { env: { MLW_RUN_ID: 'r1', EXTRA: 'a b' }, argv: ['python3', 'rec.py', '--lr', '0.1', '--empty', ''] },
  ];
  writeFileSync(path.join(root, ARRAY_PARAMS_FILE), renderArrayParams(tasks));
  writeFileSync(path.join(root, ARRAY_SCRIPT), renderArrayJobScript({ cwd: 'sub', env: { SHARED: 'x y' }, sbatch: ['--time=1'] }));
  for (const i of [0, 1]) {
    mkdirSync(path.join(root, `t${i}`, 'run'), { recursive: true });
    const r = spawnSync('bash', [path.join(root, ARRAY_SCRIPT)], {
      env: { PATH: process.env.PATH, SLURM_SUBMIT_DIR: root, SLURM_ARRAY_TASK_ID: String(i) },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  }
  const seen = (i: number) => JSON.parse(readFileSync(path.join(root, `t${i}`, 'run', 'seen.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(seen(0).argv, ['--name', odd]);
  assert.deepEqual(seen(1).argv, ['--lr', '0.1', '--empty', '']);
  assert.equal(seen(0).id, 'r0');
  assert.equal(seen(1).id, 'r1');
  assert.equal(seen(1).shared, 'x y');
  assert.equal(seen(0).cwd, path.join(root, 't0', 'code', 'sub'));
  assert.equal(seen(1).run_dir, path.join(root, 't1', 'run'));
  // Outputs are the task's own, the shared code untouched; exit status and output recorded per task.
  assert.equal(readFileSync(path.join(root, 't0', 'code', 'sub', 'model.pt'), 'utf8'), 'r0');
  assert.equal(readFileSync(path.join(root, 't1', 'code', 'sub', 'model.pt'), 'utf8'), 'r1');
  assert.equal(existsSync(path.join(root, 'code', 'sub', 'model.pt')), false);
  assert.equal(readFileSync(path.join(root, 't1', 'run', '.exit'), 'utf8').trim(), '0');
  assert.match(readFileSync(path.join(root, 't0', 'run', 'stdout.log'), 'utf8'), /hello from r0/);
  assert.ok(lstatSync(path.join(root, 't0', 'job.sh')).isSymbolicLink()); // the mark attachRemoteRun finds outputs by
  assert.match(readFileSync(path.join(root, ARRAY_SCRIPT), 'utf8'), /^#SBATCH --time=1$/m);
  assert.equal(execFileSync('bash', ['-n', path.join(root, ARRAY_SCRIPT)], { encoding: 'utf8' }), '');
});

test('a task without a line in params.txt fails with exit 97 and says why in its output', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-array-unit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'code'));
  writeFileSync(path.join(root, ARRAY_PARAMS_FILE), renderArrayParams([{ env: {}, argv: ['true'] }]));
  writeFileSync(path.join(root, ARRAY_SCRIPT), renderArrayJobScript({ cwd: '', env: {}, sbatch: [] }));
  const r = spawnSync('bash', [path.join(root, ARRAY_SCRIPT)], {
    env: { PATH: process.env.PATH, SLURM_SUBMIT_DIR: root, SLURM_ARRAY_TASK_ID: '5' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 97);
  assert.equal(readFileSync(path.join(root, 't5', 'run', '.exit'), 'utf8').trim(), '97');
  assert.match(readFileSync(path.join(root, 't5', 'run', 'stdout.log'), 'utf8'), /mlw: no params for this task/);
});

test('params that would break the one-line-per-task file are refused with the trial and the value', () => {
  assert.throws(() => renderArrayParams([{ env: {}, argv: ['python3', 'a\nb'] }]), /Trial 0: .*line break: "a\\nb"/);
  assert.throws(() => renderArrayParams([{ env: { 'BAD-NAME': '1' }, argv: ['x'] }]), /Not an environment variable name: BAD-NAME/);
});
