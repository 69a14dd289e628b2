/**
 * Fixtures of the model-server system tests (also used by bench/serve-throughput.mjs):
 * - torch-exported models with a dynamic batch axis, made with the system Python and cached in the temp folder;
 * - test cases of the ONNX backend corpus converted to JSON with python3-onnx;
 * - a small HTTP client for the protocol.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS_DIR, SYSTEM_PYTHON } from '../../support/requires';

export const FIXTURE_DIR = path.join(os.tmpdir(), 'mlw-serve-fixtures-v1');

/** Torch models: name -> Python building `m` (a module) and `example` (an input), plus export arguments. */
const MODELS: Record<string, string> = {
  // 16 -> 64 -> 4 MLP: input [batch,16] FP32 -> logits [batch,4].
  mlp: `
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))
args = (torch.randn(2, 16),)
names = dict(input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})`,
  // A bigger MLP (about 1 ms a row on one core): 256 -> 1024 -> 1024 -> 10.
  wide: `
torch.manual_seed(1)
m = torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10))
args = (torch.randn(2, 256),)
names = dict(input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})`,
  // Elementwise y = 2x + 1 with two dynamic axes: requests of different widths cannot share a batch.
  scale: `
class M(torch.nn.Module):
    def forward(self, x):
        return x * 2 + 1
m = M()
args = (torch.randn(2, 3),)
names = dict(input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'batch', 1: 'width'}, 'y': {0: 'batch', 1: 'width'}})`,
  // Two inputs (FP32 features, INT64 token ids) with a dynamic batch axis.
  twoinputs: `
torch.manual_seed(2)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 4)
        self.lin = torch.nn.Linear(4, 4)
    def forward(self, x, ids):
        return self.lin(x) + self.emb(ids).sum(1), ids.sum(1, keepdim=True)
m = M()
args = (torch.randn(2, 4), torch.zeros(2, 3, dtype=torch.long))
names = dict(input_names=['x', 'ids'], output_names=['y', 'idsum'], dynamic_axes={'x': {0: 'batch'}, 'ids': {0: 'batch'}, 'y': {0: 'batch'}, 'idsum': {0: 'batch'}})`,
  // Declares a dynamic batch axis on its output but always returns the first row: dynamic batching must notice and stop.
  firstrow: `
class M(torch.nn.Module):
    def forward(self, x):
        return x[:1] * 1.0
m = M()
args = (torch.randn(2, 4),)
names = dict(input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'rows'}})`,
  // Slow on purpose (the same 1024x1024 layer applied 40 times, ~20 ms a row): keeps requests in flight for drain tests.
  slow: `
torch.manual_seed(3)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = torch.nn.Linear(16, 1024)
        self.hid = torch.nn.Linear(1024, 1024)
        self.out = torch.nn.Linear(1024, 4)
    def forward(self, x):
        h = self.inp(x)
        for _ in range(40):
            h = torch.tanh(self.hid(h))
        return self.out(h)
m = M()
args = (torch.randn(2, 16),)
names = dict(input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})`,
};

/** Path of a torch-exported fixture model, exporting it on first use (atomic rename, safe across test processes). */
export function torchModel(name: string): string {
  const file = path.join(FIXTURE_DIR, `${name}.onnx`);
  if (existsSync(file)) return file;
  const body = MODELS[name];
  if (!body) throw new Error(`no fixture model ${name}`);
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const script = `import torch, warnings\nwarnings.filterwarnings('ignore')\n${body.trim()}\nm.eval()\ntorch.onnx.export(m, args, ${JSON.stringify(tmp)}, opset_version=13, **names)\n`;
  execFileSync(SYSTEM_PYTHON, ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  renameSync(tmp, file);
  return file;
}

export interface CorpusTensor {
  name: string;
  /** numpy dtype name: float32, float16, int64, bool, object (strings)... */
  dtype: string;
  shape: number[];
  /** Flat values; 64-bit integers as decimal strings, strings as strings. */
  data: (number | string | boolean)[];
}

export interface CorpusCase {
  model: string;
  inputs: CorpusTensor[];
  outputs: CorpusTensor[];
}

const CORPUS_SCRIPT = `
import json, sys, glob, os, math, onnx
from onnx import numpy_helper
def conv(path, name):
    t = onnx.TensorProto()
    t.ParseFromString(open(path, 'rb').read())
    a = numpy_helper.to_array(t)
    flat = a.reshape(-1).tolist()
    if a.dtype.kind in 'iu' and a.dtype.itemsize == 8: flat = [str(v) for v in flat]
    elif a.dtype.kind in 'SO': flat = [v.decode() if isinstance(v, bytes) else str(v) for v in flat]
    elif a.dtype.kind == 'f': flat = [v if math.isfinite(v) else str(v) for v in flat]
    return dict(name=t.name or name, dtype=str(a.dtype), shape=list(a.shape), data=flat)
out = {}
for d in sys.argv[1:]:
    m = onnx.load(os.path.join(d, 'model.onnx'))
    inits = set(i.name for i in m.graph.initializer)
    ins = [i.name for i in m.graph.input if i.name not in inits]
    outs = [o.name for o in m.graph.output]
    ds = os.path.join(d, 'test_data_set_0')
    out[d] = dict(model=os.path.join(d, 'model.onnx'),
      inputs=[conv(os.path.join(ds, 'input_%d.pb' % i), ins[i]) for i in range(len(ins))],
      outputs=[conv(os.path.join(ds, 'output_%d.pb' % i), outs[i]) for i in range(len(outs))])
print(json.dumps(out))
`;

/** Loads test cases of the ONNX backend corpus (e.g. "node/test_add") in one Python call. */
export function corpusCases(names: string[]): Record<string, CorpusCase> {
  const dirs = names.map((n) => path.join(CORPUS_DIR, n));
  const text = execFileSync(SYSTEM_PYTHON, ['-c', CORPUS_SCRIPT, ...dirs], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  const byDir = JSON.parse(text) as Record<string, CorpusCase>;
  const out: Record<string, CorpusCase> = {};
  names.forEach((n, i) => (out[n] = byDir[dirs[i]]));
  return out;
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value));
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Parsed JSON body (undefined when not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request to the server; resolves with status, headers, raw body and parsed JSON. */
export function request(
  url: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string | number>; agent?: http.Agent | false } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'), headers: options.headers, agent: options.agent ?? agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json;
          if (String(res.headers['content-type']).startsWith('application/json')) json = JSON.parse(body.toString('utf8'));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const postJson = (url: string, body: unknown): Promise<HttpResult> =>
  request(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

/** Builds a binary-extension request body: JSON header plus the given tensors' bytes. */
export function binaryBody(header: unknown, blobs: Buffer[]): { body: Buffer; headers: Record<string, string | number> } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return {
    body: Buffer.concat([json, ...blobs]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': json.length },
  };
}

/** Splits a binary-extension response into its JSON header and each binary output's bytes, by output name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseBinaryResponse(r: HttpResult): { json: any; blobs: Map<string, Buffer> } {
  const n = Number(r.headers['inference-header-content-length'] ?? r.body.length);
  const json = JSON.parse(r.body.subarray(0, n).toString('utf8'));
  const blobs = new Map<string, Buffer>();
  let off = n;
  for (const o of json.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs.set(o.name, r.body.subarray(off, off + size));
    off += size;
  }
  return { json, blobs };
}

export function destroyAgent(): void {
  agent.destroy();
}
