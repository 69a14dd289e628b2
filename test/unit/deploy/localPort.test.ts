/** A local server keeps its port across restarts: the last port is reused when free, else any free port. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { choosePort, isPortFree, portOfUrl, rememberPort } from '../../../src/core/deploy/localPort';

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('the last port is reused while free; a taken port falls back to any free port', async () => {
  const s = await listen();
  const port = (s.address() as net.AddressInfo).port;
  assert.equal(await isPortFree(port), false);
  assert.equal(await choosePort(port), 0, 'taken: let the server pick');
  await new Promise<void>((r) => s.close(() => r()));
  assert.equal(await isPortFree(port), true);
  assert.equal(await choosePort(port), port, 'free again: the same port');
  // A server can bind the port at once after the probe.
  const again = await listen(port);
  assert.equal((again.address() as net.AddressInfo).port, port);
  await new Promise<void>((r) => again.close(() => r()));
  assert.equal(await choosePort(undefined), 0);
  assert.equal(await isPortFree(70000), false);
});

test('ports by model, from the server URL', () => {
  assert.equal(portOfUrl('http://127.0.0.1:35665'), 35665);
  assert.equal(portOfUrl('http://127.0.0.1:35665/'), 35665);
  assert.equal(portOfUrl(undefined), undefined);
  assert.equal(portOfUrl('not a url'), undefined);
  const m = rememberPort(undefined, '/ws/a.onnx', 35665);
  assert.deepEqual(rememberPort(m, '/ws/b.onnx', 34125), { '/ws/a.onnx': 35665, '/ws/b.onnx': 34125 });
  assert.deepEqual(rememberPort(m, '/ws/a.onnx', undefined), m);
});
