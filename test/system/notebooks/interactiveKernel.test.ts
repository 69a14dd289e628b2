/**
 * `with mlw_run.start_run(...)` in a real interactive ipykernel of /usr/bin/python3, driven with
 * jupyter_client as a notebook front end would: runs land in the workspace's .mlw/runs/ (found above
 * the kernel's working directory), end with their block, and a kernel killed inside a block leaves
 * its run shown as interrupted, never running.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';
import { hasNotebookStack, NOTEBOOK_PACKAGES } from './writeNotebook';

/** A front end: starts a kernel, runs cells, prints one JSON line per step, and kills the kernel when told on stdin. */
const FRONT_END = String.raw`
import json, os, signal, sys
from jupyter_client.manager import start_new_kernel

cwd = sys.argv[1]
env = {k: v for k, v in os.environ.items() if not k.startswith("MLW_")}
km, kc = start_new_kernel(kernel_name="python3", cwd=cwd, env=env, startup_timeout=60)

def run(code):
    out = []
    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("%s: %s\n" % (msg["content"]["ename"], msg["content"]["evalue"]))
    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    return reply["content"]["status"], "".join(out)

cells = [
    """import mlw_run, os
with mlw_run.start_run(name="interactive", params={"lr": 0.05}) as run:
    for i in range(3):
        mlw_run.log_metric("loss", 1 / (i + 1), step=i)
print(run.id, os.getpid())""",
    """try:
    with mlw_run.start_run(name="diverged") as bad:
        mlw_run.log_metric("loss", float("nan"))
        raise RuntimeError("loss is nan")
except RuntimeError:
    pass
print(bad.id)""",
    """left = mlw_run.start_run(name="left-open", params={"lr": 0.5}).__enter__()
mlw_run.log_metric("loss", 0.25)
mlw_run.flush()
print(left.id)""",
]
kernel_pid = None
for code in cells:
    status, out = run(code)
    kernel_pid = kernel_pid or int(out.split()[1])
    print(json.dumps({"status": status, "out": out}), flush=True)
sys.stdin.readline()
kc.stop_channels()
os.kill(kernel_pid, signal.SIGKILL)
os.waitpid(kernel_pid, 0)  # the kernel is this front end's child: reap it, as a front end does
print(json.dumps({"killed": True}), flush=True)
`;

describe('mlw_run.start_run in an interactive Jupyter kernel', () => {
  it('makes finished and failed runs in the workspace; a kernel killed inside a block leaves no run shown as running', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    const ws = tempDir('mlw-kernel-');
    mkdirSync(path.join(ws, '.mlw'));
    mkdirSync(path.join(ws, 'notebooks'));
    const frontEnd = path.join(ws, 'front_end.py');
    writeFileSync(frontEnd, FRONT_END);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONPATH: path.join(REPO_ROOT, 'python'),
      PYTHONDONTWRITEBYTECODE: '1',
      PYDEVD_DISABLE_FILE_VALIDATION: '1', // the installed kernel spec's debugger warning, in this test's output only
    };
    for (const k of Object.keys(env)) if (k.startsWith('MLW_')) delete env[k];
    const child = spawn(SYSTEM_PYTHON, [frontEnd, path.join(ws, 'notebooks')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<{ status?: string; out?: string; killed?: boolean }> => {
      const r = await lines.next();
      assert.ok(!r.done, 'the front end ended early');
      return JSON.parse(r.value as string) as { status?: string; out?: string };
    };
    try {
      const first = await next();
      assert.equal(first.status, 'ok', first.out);
      const [id, kernelPid] = (first.out ?? '').trim().split(' ');
      const second = await next();
      assert.equal(second.status, 'ok', second.out);
      const badId = (second.out ?? '').trim();
      const third = await next();
      assert.equal(third.status, 'ok', third.out);
      const leftId = (third.out ?? '').trim();

      const store = new RunStore(ws);
      const run = await store.readRun(id);
      assert.ok(run, `run ${id} is in the workspace's .mlw/runs/ (the kernel ran in notebooks/)`);
      assert.equal(run.status, 'finished');
      assert.equal(run.name, 'interactive');
      assert.deepEqual(run.params, { lr: 0.05 });
      assert.equal(run.pid, Number(kernelPid), "the run records the kernel's pid");
      assert.equal(run.owner?.launcher.pid, Number(kernelPid));
      assert.deepEqual(Array.from((await readMetrics(store.runDir(id))).series.get('loss')?.values ?? []), [1, 0.5, 1 / 3]);
      assert.equal(run.metrics?.loss.count, 3);

      const bad = await store.readRun(badId);
      assert.equal(bad?.status, 'failed');
      assert.equal(bad?.error, 'RuntimeError: loss is nan');

      assert.equal((await store.readRun(leftId))?.status, 'running', 'the open run is running while its kernel lives');

      child.stdin.write('\n');
      assert.deepEqual(await next(), { killed: true });
      const left = await store.readRun(leftId);
      assert.equal(left?.status, 'interrupted', 'the dead kernel leaves its run interrupted, not running');
      assert.match(left?.error ?? '', new RegExp(`pid ${kernelPid}`));
      assert.equal(left?.params.lr, 0.5);
      const listed = await store.listRuns();
      assert.deepEqual(listed.map((r) => r.status).sort(), ['failed', 'finished', 'interrupted']);
    } finally {
      child.kill();
    }
  });
});
