/** `--ep` on mlw bench, try and serve: parsed, in the help, and the real CUDA failure and fallback through the CLI. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEpOption } from '../../../src/cli/commands/bench';
import { UsageError } from '../../../src/cli/cliCommand';
import { probeExecutionProvider } from '../../../src/core/ort';
import { probeModel } from '../../../src/core/ort/probeModel';
import { parseServeArgs, SERVE_USAGE, ServeArgsError } from '../../../src/core/serve/serveArgs';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000 });

let dir: string;
let model: string;
let cudaLoads = false;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-ep-flags-'));
  model = path.join(dir, 'identity.onnx');
  writeFileSync(model, probeModel());
  cudaLoads = (await probeExecutionProvider('cuda')).loads;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('parseEpOption: absent is the default (undefined), a list is parsed, a bad one is a usage error', () => {
  assert.equal(parseEpOption(undefined), undefined);
  assert.deepEqual(parseEpOption('cuda,cpu'), ['cuda', 'cpu']);
  assert.throws(
    () => parseEpOption('cuda,npu'),
    (e: unknown) => e instanceof UsageError && /unknown execution provider 'npu'/.test((e as Error).message),
  );
});

test('mlw serve --ep: parsed into the server options; a bad list is a usage error', async () => {
  const a = await parseServeArgs([model, '--ep', 'CUDA,cpu', '--threads', '1']);
  assert.deepEqual(a.options.executionProviders, ['cuda', 'cpu']);
  assert.equal(a.options.intraOpThreads, 1);
  assert.equal((await parseServeArgs([model])).options.executionProviders, undefined);
  await assert.rejects(
    parseServeArgs([model, '--ep', 'gpu']),
    (e: unknown) => e instanceof ServeArgsError && /--ep: unknown execution provider 'gpu'/.test((e as Error).message),
  );
  await assert.rejects(parseServeArgs([model, '--ep', '']), /--ep needs at least one execution provider/);
  assert.match(SERVE_USAGE, /--ep LIST/);
});

test('--ep is in the help of bench, try and serve; a bad list exits 2', () => {
  for (const cmd of ['bench', 'try', 'serve']) {
    const help = mlw(cmd, '--help');
    assert.equal(help.status, 0, cmd);
    assert.match(help.stdout, /--ep LIST/, `${cmd} --help`);
  }
  const bad = mlw('bench', model, '--ep', 'cuda,fpga');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^mlw bench: --ep: unknown execution provider 'fpga'/);
});

test('mlw try --ep cuda fails in one line with the install command; --ep cuda,cpu falls back and says so', (t) => {
  if (cudaLoads) return t.skip('the CUDA provider loads on this machine');
  const strict = mlw('try', model, '--ep', 'cuda', '--json');
  assert.equal(strict.status, 1);
  const lines = strict.stderr.trim().split('\n');
  assert.equal(lines.length, 1, strict.stderr);
  assert.match(
    lines[0],
    /^mlw try: execution provider 'cuda' cannot load \(.+\): install onnxruntime-node's CUDA 12 binaries with `ONNXRUNTIME_NODE_INSTALL=cuda12 node \S+\/onnxruntime-node\/script\/install\.js`/,
  );
  const fallback = mlw('try', model, '--ep', 'cuda,cpu', '--json');
  assert.equal(fallback.status, 0, fallback.stderr);
  assert.deepEqual(
    JSON.parse(fallback.stdout).outputs.map((o: { name: string }) => o.name),
    ['y'],
  );
  assert.match(fallback.stderr.trim(), /^\[warn\] execution provider 'cuda' cannot load \(.+\): .+; falling back to CPU$/);
});

test('mlw bench --ep cuda,cpu records the provider it ran on', (t) => {
  if (cudaLoads) return t.skip('the CUDA provider loads on this machine');
  const r = mlw('bench', model, '--ep', 'cuda,cpu', '--runs', '2', '--warmup', '0', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).config.executionProviders, ['cpu']);
  assert.match(r.stderr, /falling back to CPU/);
});
