import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetsYaml } from '../../../src/core/targets/parseTargets';
import { DialStdioAgent } from '../../../src/core/targets/docker/DialStdioAgent';
import { gpuDeviceRequests, readDockerTarget } from '../../../src/core/targets/docker/dockerTargetSpec';
import { SshClient } from '../../../src/core/targets/SshClient';

const FILE = '.mlw/targets.yaml';
const one = (line: string) => {
  const parsed = parseTargetsYaml(`targets:\n  d: ${line}\n`, FILE);
  assert.deepEqual(parsed.errors, []);
  return parsed.targets[0];
};

test("the issue's docker target reads: ssh:// engine with user, GPUs as an all-devices request", () => {
  const spec = readDockerTarget(one('{ kind: docker, engine: "ssh://me@gpubox", gpus: all }'));
  assert.deepEqual(spec.ssh, { host: 'gpubox', user: 'me' });
  assert.equal(spec.gpus, 'all');
  assert.deepEqual(gpuDeviceRequests(spec.gpus), [{ Driver: '', Count: -1, Capabilities: [['gpu']] }]);
  assert.deepEqual(gpuDeviceRequests(2), [{ Driver: '', Count: 2, Capabilities: [['gpu']] }]);
  assert.deepEqual(gpuDeviceRequests(undefined), []);
});

test('an ssh:// engine takes the port, ssh options and the remote socket; dial-stdio is one quoted command', () => {
  const spec = readDockerTarget(
    one('{ kind: docker, engine: "ssh://box:2222", sshConfig: /tmp/cfg, socket: "/run/my docker.sock", image: "python:3.11" }'),
  );
  assert.deepEqual(spec.ssh, { host: 'box', port: 2222, sshConfig: '/tmp/cfg' });
  assert.equal(spec.image, 'python:3.11');
  const agent = new DialStdioAgent(new SshClient(spec.ssh!), spec.socket);
  assert.equal(agent.command(), "docker -H 'unix:///run/my docker.sock' system dial-stdio");
  agent.destroy();
  assert.equal(new DialStdioAgent(new SshClient(spec.ssh!)).command(), 'docker system dial-stdio');
});

test('bad docker targets fail with one line naming the key', () => {
  const bad: Array<[string, RegExp]> = [
    ['{ kind: docker, engine: "ftp://x" }', /engine must be ssh:\/\/, unix:\/\/ or tcp:\/\//],
    ['{ kind: docker, gpus: some }', /gpus must be "all" or a count/],
    ['{ kind: docker, socket: /x.sock }', /socket needs an ssh:\/\/ engine/],
    ['{ kind: docker, engine: "ssh://h", socket: rel.sock }', /socket must be an absolute path/],
    ['{ kind: docker, dockerfile: ../Dockerfile }', /dockerfile must be a path inside/],
    ['{ kind: docker, imag: x }', /imag is not a key of a docker target/],
    ['{ kind: docker, engine: "ssh://-oProxyCommand=x" }', /engine names no usable host/],
  ];
  for (const [line, re] of bad) {
    assert.throws(
      () => readDockerTarget(one(line)),
      (e: Error) => re.test(e.message) && e.message.startsWith(`${FILE}:2: target d:`),
      line,
    );
  }
});
