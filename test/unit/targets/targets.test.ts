import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mergeTargets, parseTargetsSetting, parseTargetsYaml } from '../../../src/core/targets/parseTargets';
import { remotePath, shellCommand, shellQuote } from '../../../src/core/targets/shellQuote';
import { parseScontrolJob, slurmEndReason } from '../../../src/core/targets/slurmJobState';
import { renderJobScript, sbatchOptions } from '../../../src/core/targets/remoteJob';
import { SshClient } from '../../../src/core/targets/SshClient';
import type { SlurmTarget } from '../../../src/core/targets/targetTypes';

const FILE = '.mlw/targets.yaml';

test("the issue's example parses: ssh and slurm with their options, docker and kubernetes kept as declared", () => {
  const { targets, errors } = parseTargetsYaml(
    `targets:
  gpu-box:  { kind: ssh, host: gpubox, workdir: ~/mlw-runs, python: /usr/bin/python3 }
  cluster:  { kind: slurm, host: login1, partition: gpu, gpus: 1, cpus: 8, mem: 32G, time: "04:00:00", sbatch: ["--account=ml"] }
  docker:   { kind: docker, engine: "ssh://me@gpubox", gpus: all }
  k8s:      { kind: kubernetes, namespace: ml, image: registry.example/train:1, gpus: 1 }
`,
    FILE,
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    targets.map((t) => [t.name, t.kind, t.origin]),
    [
      ['gpu-box', 'ssh', `${FILE}:2`],
      ['cluster', 'slurm', `${FILE}:3`],
      ['docker', 'docker', `${FILE}:4`],
      ['k8s', 'kubernetes', `${FILE}:5`],
    ],
  );
  const cluster = targets[1] as SlurmTarget;
  assert.equal(cluster.ssh?.host, 'login1');
  assert.deepEqual(
    [cluster.partition, cluster.gpus, cluster.cpus, cluster.mem, cluster.time, cluster.sbatch],
    ['gpu', 1, 8, '32G', '04:00:00', ['--account=ml']],
  );
  assert.equal(targets[0].python, '/usr/bin/python3');
  assert.equal(cluster.python, 'python3');
  assert.equal(cluster.workdir, '~/mlw-runs');
});

test('errors are one line each, naming the file, the line of the key and the key; good targets are kept', () => {
  const { targets, errors } = parseTargetsYaml(
    `targets:
  ok: { kind: ssh, host: a }
  bad-port:
    kind: ssh
    host: b
    port: 99999
  typo:
    kind: slurm
    partiton: gpu
  nohost: { kind: ssh }
  weird: { kind: lambda }
  dash: { kind: ssh, host: -oProxyCommand=evil }
`,
    FILE,
  );
  assert.deepEqual(
    targets.map((t) => t.name),
    ['ok'],
  );
  assert.equal(errors.length, 5);
  assert.match(errors[0], /^\.mlw\/targets\.yaml:6: target bad-port: port must be a whole number from 1 to 65535, not 99999$/);
  assert.match(errors[1], /^\.mlw\/targets\.yaml:9: target typo: partiton is not a key of a slurm target/);
  assert.match(errors[2], /^\.mlw\/targets\.yaml:10: target nohost: host is required/);
  assert.match(errors[3], /^\.mlw\/targets\.yaml:11: target weird: kind must be one of ssh, slurm, docker, kubernetes, not "lambda"/);
  assert.match(errors[4], /:12: target dash: host must not start with "-"/);
  for (const e of errors) assert.ok(!e.includes('\n'));
});

test('bad YAML names its line; the setting is read and wins over the file for the same name', () => {
  assert.match(parseTargetsYaml('targets:\n  a: { kind: ssh\n', FILE).errors[0], /^\.mlw\/targets\.yaml:\d+: not valid YAML/);
  const file = parseTargetsYaml('targets:\n  a: { kind: ssh, host: one }\n  b: { kind: ssh, host: two }\n', FILE);
  const setting = parseTargetsSetting({ a: { kind: 'slurm' }, c: { kind: 'ssh', host: 'x', port: 'no' } });
  assert.deepEqual(setting.errors, ['setting mlWorkbench.targets.c: target c: port must be a whole number from 1 to 65535, not "no"']);
  const merged = mergeTargets(file, setting);
  assert.deepEqual(
    merged.targets.map((t) => `${t.name}:${t.kind}`),
    ['a:slurm', 'b:ssh'],
  );
});

test('shellQuote makes one word of anything, as the shell reads it back', () => {
  const words = ['plain', 'with space', "it's", '$(rm -rf /)', '`x`', 'a;b|c&d', '', '--lr=0.1', 'ünï', '"q"', 'back\\slash', 'new\nline'];
  const echoed = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellCommand(words)}`], { encoding: 'utf8' });
  assert.deepEqual(echoed.split('\0').slice(0, -1), words);
  assert.equal(shellQuote('/usr/bin/python3'), '/usr/bin/python3');
  assert.equal(remotePath('~/mlw runs'), "~/'mlw runs'");
  assert.throws(() => shellQuote('a\0b'));
});

test('the ssh argument vector keeps host key checking, uses BatchMode, -F, -p, -l, -i and ends options before the host', () => {
  const c = new SshClient(
    { host: 'login1', port: 2222, user: 'me', identityFile: 'keys/id', sshConfig: '/etc/cfg', controlMaster: true },
    '/ws',
    '/tmp/ctl',
  );
  const argv = c.argv('echo hi');
  assert.deepEqual(argv.slice(0, 8), ['-F', '/etc/cfg', '-p', '2222', '-l', 'me', '-i', '/ws/keys/id']);
  assert.ok(argv.includes('BatchMode=yes'));
  assert.ok(!argv.some((a) => /StrictHostKeyChecking/i.test(a)));
  assert.ok(argv.includes('ControlMaster=auto'));
  assert.deepEqual(argv.slice(-3), ['--', 'login1', 'echo hi']);
});

test('scontrol lines: state, pending reason, node, exit code; end reasons in words', () => {
  const pending = parseScontrolJob('JobId=7 JobName=x JobState=PENDING Reason=Resources Dependency=(null) NodeList=(null) ExitCode=0:0');
  assert.deepEqual(pending, { state: 'PENDING', reason: 'Resources', exitCode: 0, exitSignal: 0 });
  const timeout = parseScontrolJob('JobId=8 JobState=TIMEOUT Reason=TimeLimit NodeList=vm BatchHost=vm ExitCode=0:15');
  assert.equal(timeout?.node, 'vm');
  assert.match(slurmEndReason(timeout!) ?? '', /time limit .*TIMEOUT.* on vm/);
  assert.match(slurmEndReason({ state: 'NODE_FAIL', node: 'gpu3' }) ?? '', /node failed \(NODE_FAIL\) on gpu3/);
  assert.equal(parseScontrolJob('slurm_load_jobs error: Invalid job id specified'), undefined);
  assert.equal(parseScontrolJob('JobId=9 JobState=CANCELLED+ Reason=None')?.state, 'CANCELLED');
});

test('the job script quotes every word and #SBATCH lines carry the target', () => {
  const t: SlurmTarget = {
    name: 'c',
    kind: 'slurm',
    origin: '',
    workdir: '~',
    python: 'python3',
    env: {},
    partition: 'gpu',
    account: 'ml',
    gpus: 2,
    cpus: 4,
    mem: '8G',
    time: '1:00:00',
    sbatch: ['--qos=high'],
  };
  const o = sbatchOptions(t, 'mlw-train');
  assert.deepEqual(o.slice(3), [
    '--partition=gpu',
    '--account=ml',
    '--gres=gpu:2',
    '--cpus-per-task=4',
    '--mem=8G',
    '--time=1:00:00',
    '--qos=high',
  ]);
  const script = renderJobScript({
    argv: ['python3', 'train.py', "--name=it's"],
    cwd: 'sub dir',
    env: { MLW_PARAMS: '{"a": 1}' },
    sbatch: o,
  });
  assert.match(script, /^#!\/bin\/bash\n#SBATCH --job-name=mlw-train\n/);
  assert.match(script, /python3 train\.py '--name=it'\\''s' >> "\$R\/run\/stdout\.log"/);
  assert.match(script, /export MLW_PARAMS='\{"a": 1\}'/);
  assert.match(script, /"\$R\/code"\/'sub dir'/);
  // MLflow's endpoint on the node, before the script (unless the target's env sets MLFLOW_TRACKING_URI), stopped after it.
  assert.match(
    script,
    /if \[ -z "\$\{MLFLOW_TRACKING_URI\+x\}" \]; then[\s\S]*python3 "\$R\/helper\/mlw_mlflow_endpoint\.py"[\s\S]*python3 train\.py[\s\S]*kill "\$MLW_MLFLOW_PID"/,
  );
  assert.throws(() => renderJobScript({ argv: ['x'], cwd: '', env: { 'A B': '1' } }));
});
