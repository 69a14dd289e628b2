/** Log demultiplexing, progress streams, container descriptions and registry error mapping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { fromInspect, fromListEntry, healthFromStatus } from '../../../src/core/docker/containerInfo';
import { classifyRegistryError, RegistryAuthError, RegistryUnreachableError, registryOf } from '../../../src/core/docker/engineErrors';
import { splitReference } from '../../../src/core/docker/dockerEngine';
import { LogDemuxer } from '../../../src/core/docker/logLines';
import { itemError, readProgress, type ProgressItem } from '../../../src/core/docker/progressStream';

function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('LogDemuxer splits multiplexed frames into lines per stream, across any chunking', () => {
  const all = Buffer.concat([frame(1, 'hello\nwor'), frame(2, 'oops\n'), frame(1, 'ld\r\n'), frame(1, 'tail')]);
  for (const size of [1, 3, 8, 9, 1000]) {
    const lines: string[] = [];
    const d = new LogDemuxer((s, l) => lines.push(`${s}:${l}`));
    for (let i = 0; i < all.length; i += size) d.push(all.subarray(i, i + size));
    d.end();
    assert.deepEqual(lines, ['stdout:hello', 'stderr:oops', 'stdout:world', 'stdout:tail'], `chunk size ${size}`);
  }
  const tty: string[] = [];
  const t = new LogDemuxer((s, l) => tty.push(`${s}:${l}`), false);
  t.push(Buffer.from('a\nb'));
  t.end();
  assert.deepEqual(tty, ['stdout:a', 'stdout:b']);
});

test('readProgress hands over every JSON item, split anywhere, and keeps plain lines', async () => {
  const s = new PassThrough();
  const items: ProgressItem[] = [];
  const done = readProgress(s, (i) => items.push(i));
  const text =
    '{"stream":"Step 1/2 : FROM x\\n"}\r\n{"status":"Pushing","id":"abc"}\nnot json\n{"errorDetail":{"message":"boom"},"error":"boom"}';
  for (const ch of text.match(/.{1,5}/gs) ?? []) s.write(ch);
  s.end();
  await done;
  assert.equal(items.length, 4);
  assert.equal(items[0].stream, 'Step 1/2 : FROM x\n');
  assert.equal(items[2].stream, 'not json');
  assert.equal(itemError(items[3]), 'boom');
  assert.equal(itemError(items[1]), undefined);
});

test('readProgress rejects when the stream errors', async () => {
  const s = new PassThrough();
  const done = readProgress(s, () => undefined);
  s.destroy(new Error('socket hang up'));
  await assert.rejects(done, /socket hang up/);
});

test('container descriptions from list and inspect answers', () => {
  const listed = fromListEntry({
    Id: 'c1',
    Names: ['/m1'],
    Image: 'mnist:latest',
    State: 'running',
    Status: 'Up 3 seconds (health: starting)',
    Ports: [
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 49153, Type: 'tcp' },
      { IP: '::1', PrivatePort: 8080, PublicPort: 49153, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
    ],
    Labels: { a: 'b' },
    Created: 1700000000,
  });
  assert.deepEqual(listed, {
    id: 'c1',
    name: 'm1',
    image: 'mnist:latest',
    state: 'running',
    health: 'starting',
    status: 'Up 3 seconds (health: starting)',
    ports: [{ hostIp: '127.0.0.1', hostPort: 49153, containerPort: 8080 }],
    labels: { a: 'b' },
    createdAt: 1700000000000,
  });
  assert.equal(healthFromStatus('Up 1 minute (healthy)'), 'healthy');
  assert.equal(healthFromStatus('Up 1 minute (unhealthy)'), 'unhealthy');
  assert.equal(healthFromStatus('Exited (0) 2 seconds ago'), undefined);
  const inspected = fromInspect({
    Id: 'c2',
    Name: '/m2',
    Created: '2026-01-01T00:00:00Z',
    Config: { Image: 'x:1', Labels: null },
    State: { Status: 'exited', ExitCode: 137 },
    NetworkSettings: { Ports: { '8080/tcp': null } },
  });
  assert.deepEqual(
    [inspected.state, inspected.status, inspected.ports, inspected.labels, inspected.health],
    ['exited', 'Exited (137)', [], {}, undefined],
  );
  const healthy = fromInspect({
    Id: 'c3',
    State: { Status: 'running', Health: { Status: 'healthy' } },
    NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '5000' }] } },
  });
  assert.deepEqual(
    [healthy.health, healthy.status, healthy.ports],
    ['healthy', 'Running (healthy)', [{ hostIp: '127.0.0.1', hostPort: 5000, containerPort: 8080 }]],
  );
});

test('registry errors: refused credentials and unreachable registries get their own error', () => {
  assert.ok(classifyRegistryError('r:5000', 'unauthorized: authentication required') instanceof RegistryAuthError);
  assert.ok(classifyRegistryError('ghcr.io', 'denied: permission_denied: write_package') instanceof RegistryAuthError);
  const down = classifyRegistryError('127.0.0.1:1', 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused');
  assert.ok(down instanceof RegistryUnreachableError);
  assert.match(down.message, /The registry 127\.0\.0\.1:1 cannot be reached/);
  assert.ok(classifyRegistryError('nope.invalid', 'dial tcp: lookup nope.invalid: no such host') instanceof RegistryUnreachableError);
  assert.equal(classifyRegistryError('r', 'manifest invalid'), undefined);
  assert.equal(registryOf('127.0.0.1:5000/team/m:1'), '127.0.0.1:5000');
  assert.equal(registryOf('ghcr.io/o/m'), 'ghcr.io');
  assert.equal(registryOf('team/m:1'), 'docker.io');
  assert.equal(registryOf('localhost/m'), 'localhost');
  assert.deepEqual(splitReference('127.0.0.1:5000/team/m:1.0'), { repository: '127.0.0.1:5000/team/m', tag: '1.0' });
  assert.deepEqual(splitReference('127.0.0.1:5000/team/m'), { repository: '127.0.0.1:5000/team/m' });
  assert.deepEqual(splitReference('r/m@sha256:ab'), { repository: 'r/m@sha256:ab' });
});
