/**
 * MLflow's tracking REST API on a remote target, for real: a SLURM job (submitted over ssh to a one-node cluster
 * behind a private sshd on loopback) and an ssh-host run whose script logs through MLFLOW_TRACKING_URI /
 * MLFLOW_TRACKING_TOKEN / MLFLOW_RUN_ID with urllib, as MLflow's client would (MLflow itself cannot be installed
 * here). The endpoint job.sh starts on the node writes into the remote run folder; the local run gets the metrics,
 * params and tags after sync.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import { loadTargets, findTarget } from '../../../src/core/targets/loadTargets';
import { submitRemoteRun } from '../../../src/core/targets/submitRemoteRun';
import { submitRemoteSweep } from '../../../src/core/targets/submitRemoteSweep';
import { experimentIdOf } from '../../../src/core/mlflow/mlflowExperiments';
import { clusterMissing, startCluster, startSsh, trainingWorkspace, type TestCluster, type TestSshServer } from './targetHarness';

/** Logs as MLflow's Python client does over REST (paths, methods and fields of MLflow's REST API 2.0). */
const MLFLOW_TRAIN_PY = `import json, os, time, urllib.parse, urllib.request
uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/"
headers = {"Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"], "Content-Type": "application/json"}
rid = os.environ["MLFLOW_RUN_ID"]
def call(method, path, body):
    if method == "GET":
        req = urllib.request.Request(uri + path + "?" + urllib.parse.urlencode(body), headers=headers)
    else:
        req = urllib.request.Request(uri + path, data=json.dumps(body).encode(), headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())
run = call("GET", "runs/get", {"run_id": rid, "run_uuid": rid})["run"]
assert run["info"]["experiment_id"] == os.environ["MLFLOW_EXPERIMENT_ID"], run
print("experiment=" + os.environ["MLFLOW_EXPERIMENT_NAME"], flush=True)
call("POST", "runs/update", {"run_id": rid, "run_uuid": rid, "status": "RUNNING"})
call("POST", "runs/log-parameter", {"run_id": rid, "run_uuid": rid, "key": "optimizer", "value": "adam"})
for i in range(6):
    t = int(time.time() * 1000)
    call("POST", "runs/log-metric", {"run_id": rid, "run_uuid": rid, "key": "val_loss", "value": 1.0 / (i + 1), "timestamp": t, "step": i})
    time.sleep(0.2)
call("POST", "runs/log-batch", {"run_id": rid, "metrics": [{"key": "acc", "value": 0.75, "timestamp": int(time.time() * 1000), "step": 5}],
     "params": [{"key": "batch", "value": "32"}], "tags": [{"key": "model", "value": "mlp"}]})
call("POST", "runs/update", {"run_id": rid, "run_uuid": rid, "status": "FINISHED", "end_time": int(time.time() * 1000)})
print("logged through mlflow", flush=True)
`;

let missing: string | undefined;
let cluster: TestCluster | undefined;
let ssh: TestSshServer | undefined;
let ws: string;
let remoteRoot: string;

before(async () => {
  missing = await clusterMissing();
  if (missing) return;
  cluster = await startCluster();
  ssh = await startSsh(cluster.env);
  ws = trainingWorkspace();
  writeFileSync(path.join(ws, 'mlflow_train.py'), MLFLOW_TRAIN_PY);
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', 'add', 'mlflow_train.py'], {
    cwd: ws,
  });
  execFileSync(
    'git',
    ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'mlflow'],
    {
      cwd: ws,
    },
  );
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'mlw-mlflow-remote-'));
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
      `  box: { kind: ssh, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/box, python: ${SYSTEM_PYTHON} }`,
      `  cluster: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/cluster, python: ${SYSTEM_PYTHON},`,
      `             partition: ${cluster.partition}, cpus: 1, mem: 100M, time: "00:05:00" }`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await ssh?.stop();
  await cluster?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (remoteRoot) rmSync(remoteRoot, { recursive: true, force: true });
});

const ready = (t: TestContext) =>
  needs(t, 'a SLURM cluster behind sshd (slurmctld, slurmd, munge, openssh-server, root)', !missing, missing ?? '');

async function target(name: string) {
  const parsed = await loadTargets(ws);
  assert.deepEqual(parsed.errors, []);
  return findTarget(parsed, name);
}

describe('MLflow logging on remote targets', { concurrency: true }, () => {
  for (const name of ['cluster', 'box']) {
    it(`${name}: a script logging through MLflow's REST API on the node has its metrics, params and tags in the local run`, async (t) => {
      if (!ready(t)) return;
      const store = new RunStore(ws);
      const out: string[] = [];
      const handle = await submitRemoteRun({
        store,
        target: await target(name),
        script: 'mlflow_train.py',
        experiment: 'vision',
        params: { lr: 0.01 },
        onOutput: (s) => out.push(s),
        pollMs: 500,
      });
      const run = await handle.done;
      const stdout = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8');
      assert.equal(run.status, 'finished', `${run.error}\n${stdout}`);
      assert.match(stdout, /experiment=vision/);
      assert.match(stdout, /logged through mlflow/);
      assert.ok(!existsSync(path.join(handle.dir, 'mlflow-endpoint.log')), 'no empty endpoint log left in the run');
      assert.equal(run.metrics?.val_loss?.count, 6, JSON.stringify(run.metrics));
      assert.equal(run.metrics?.val_loss?.last, 1 / 6);
      assert.equal(run.metrics?.acc?.last, 0.75);
      assert.equal(run.params.optimizer, 'adam');
      assert.equal(run.params.batch, '32');
      assert.equal(run.params.lr, 0.01, 'the launch param stays as launched');
      assert.equal(run.tags.model, 'mlp');
      assert.equal(experimentIdOf(run.experiment), experimentIdOf('vision'));
      t.diagnostic(`${name}: ${run.durationMs} ms`);
    });
  }

  it('a SLURM job array: each trial logs through its own endpoint into its own run', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const sweep = await submitRemoteSweep({
      store,
      target: await target('cluster'),
      script: 'mlflow_train.py',
      paramSets: [{ lr: 1 }, { lr: 2 }],
      parallel: 2,
      experiment: 'mlflow-array',
      pollMs: 500,
    });
    const runs = await sweep.done;
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.equal(run.status, 'finished', run.error);
      assert.equal(run.metrics?.val_loss?.count, 6, `${run.id}: ${JSON.stringify(run.metrics)}`);
      assert.equal(run.params.optimizer, 'adam');
      assert.equal(run.tags.model, 'mlp');
    }
    assert.notEqual(runs[0].id, runs[1].id);
  });
});
