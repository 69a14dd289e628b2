/**
 * The front proxy of a blue/green roll, with real HTTP upstreams: a switch connects to the new upstream before it
 * answers (the first requests forwarded after it reuse that connection), and a switch to an upstream that cannot
 * be reached is refused while the old one keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFrontProxy } from '../../../src/core/deploy/frontProxy';
import { frontStatus, switchUpstream } from '../../../src/core/deploy/frontProcess';
import { silentLogger } from '../../../src/core/logger';

async function upstream(name: string): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = http.createServer({ keepAliveTimeout: 5000 }, (_req, res) => res.end(name));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('a switch connects to the new upstream first; the requests after it reuse that connection', async () => {
  const blue = await upstream('blue');
  const green = await upstream('green');
  const proxy = await startFrontProxy({ port: 0, upstream: blue.url, token: 't', logger: silentLogger });
  try {
    assert.equal(await (await fetch(`${proxy.url}/v2/models/m/infer`)).text(), 'blue');
    await switchUpstream(proxy.url, 't', green.url);
    assert.equal(green.connections(), 1, 'connected to the new upstream before the switch answered');
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(`${proxy.url}/v2/models/m/infer`)).text(), 'green');
    assert.equal(green.connections(), 1, 'the forwarded requests used the kept-alive connection');
  } finally {
    await proxy.close();
    await blue.close();
    await green.close();
  }
});

test('a switch to an upstream that does not answer is refused and the old one keeps serving', async () => {
  const blue = await upstream('blue');
  const gone = await upstream('gone');
  await gone.close();
  const proxy = await startFrontProxy({ port: 0, upstream: blue.url, token: 't', logger: silentLogger });
  try {
    await assert.rejects(switchUpstream(proxy.url, 't', gone.url), /refused the switch .* 502 .*cannot reach/);
    assert.equal((await frontStatus(proxy.url, 't')).upstream, blue.url);
    assert.equal(await (await fetch(`${proxy.url}/v2/models/m/infer`)).text(), 'blue');
  } finally {
    await proxy.close();
    await blue.close();
  }
});
