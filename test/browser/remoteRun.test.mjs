// A run on a SLURM cluster from the real workbench: a one-node cluster (munged, slurmctld, slurmd) behind a private
// sshd on loopback (test/harness/slurmCluster.mjs, sshServer.mjs), declared in the workspace's .mlw/targets.yaml.
// "ML: Run Experiment…" from the palette, the script, its params, then the cluster in the "where?" picker; the Runs
// view shows the job's state and node while it runs, then the finished run, whose metrics.jsonl (synced back from the
// node) holds exactly what the script logged. Screenshots in .test-artifacts/screenshots (60-…, 61-…, 62-…).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserTestSkip, openWorkbenchPage, runPaletteCommand, shots, widenSidebar } from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';
import { slurmClusterMissing, startSlurmCluster } from '../harness/slurmCluster.mjs';
import { sshServerMissing, startSshServer } from '../harness/sshServer.mjs';

const { needs } = createRequire(import.meta.url)(join(repoRoot, 'out', 'test', 'support', 'requires.js'));
const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
const STEPS = 8;

// Logs loss and acc each step, a second apart: the job is visibly running for a few seconds.
const TRAIN = `import argparse, time
import mlw_run
p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.1)
a, _ = p.parse_known_args()
for i in range(a.steps):
    mlw_run.log_metric("loss", 1.0 / (i + 1), step=i)
    mlw_run.log_metric("acc", i / 10, step=i)
    print(f"step={i}", flush=True)
    time.sleep(a.sleep)
print("done", flush=True)
`;

const browserSkip = browserTestSkip();
const clusterMissing = [slurmClusterMissing(), sshServerMissing()].filter(Boolean).join('; ') || undefined;

let cluster;
let ssh;
let server;
let browser;
let page;
let workspace;
let remoteRoot;

before(async () => {
  if (browserSkip || clusterMissing) return;
  cluster = await startSlurmCluster();
  ssh = await startSshServer({ env: cluster.env });
  remoteRoot = mkdtempSync(join(tmpdir(), 'mlw-browser-remote-'));
  const ws = makeWorkspace('browser-remote-run', { models: false });
  workspace = ws;
  rmSync(join(ws, 'train.py'));
  writeFileSync(join(ws, 'remote_train.py'), TRAIN);
  writeFileSync(join(ws, 'params.yaml'), `steps: ${STEPS}\nsleep: 1.0\n`);
  writeFileSync(join(ws, '.gitignore'), '.mlw/runs/\n.mlw/blobs/\n.vscode/\n');
  mkdirSync(join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
      `  cluster: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/cluster, python: ${PYTHON},`,
      `             partition: ${cluster.partition}, cpus: 1, mem: 100M, time: "00:05:00" }`,
      '',
    ].join('\n'),
  );
  const git = (...a) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], {
      cwd: ws,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'training on the cluster');
  mkdirSync(shots, { recursive: true });
  server = await startCodeServer({ workspace: ws, name: 'browser-remote-run', settings: { 'mlWorkbench.pythonPath': PYTHON } });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await ssh?.stop();
  await cluster?.stop();
  if (remoteRoot) rmSync(remoteRoot, { recursive: true, force: true });
});

const quickInput = () => page.locator('.quick-input-widget');
const quickRow = (text) => quickInput().locator('.monaco-list-row', { hasText: text }).first();
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

/** The run folders of the workspace's store, as run.json holds them. */
function storedRuns() {
  const dir = join(workspace, '.mlw', 'runs');
  let ids = [];
  try {
    ids = readdirSync(dir).filter((d) => !d.startsWith('.'));
  } catch {
    return [];
  }
  return ids.flatMap((id) => {
    try {
      return [JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8'))];
    } catch {
      return [];
    }
  });
}

test(
  'Run Experiment on the cluster target: the Runs view shows the job running on its node, then finished',
  { timeout: 240_000 },
  async (t) => {
    if (!needs(t, 'Chromium and code-server', !browserSkip, String(browserSkip))) return;
    if (!needs(t, 'a SLURM cluster behind sshd (slurmctld, slurmd, munge, openssh-server, root)', !clusterMissing, clusterMissing ?? ''))
      return;
    try {
      await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
      await widenSidebar(page);
      await page.mouse.move(1000, 300); // off the sash, which stays highlighted under the pointer
      await runPaletteCommand(page, 'ML: Run Experiment…');
      const input = quickInput().locator('.quick-input-box input');
      await quickInput().locator('.quick-input-title', { hasText: 'pick the training script' }).waitFor({ timeout: 60_000 });
      await input.fill('remote_train.py');
      await quickRow('remote_train.py').waitFor({ timeout: 30_000 });
      await page.keyboard.press('Enter');
      await quickInput().locator('.quick-input-title', { hasText: 'params' }).waitFor({ timeout: 60_000 });
      assert.match(await input.inputValue(), new RegExp(`steps=${STEPS}`), 'params come from params.yaml');
      await page.keyboard.press('Enter');

      // The picker offers this machine and the cluster, named with its kind and login host.
      await quickInput().locator('.quick-input-title', { hasText: 'Run Experiment: where?' }).waitFor({ timeout: 60_000 });
      const clusterRow = quickRow('cluster');
      await clusterRow.waitFor({ timeout: 30_000 });
      await quickRow('This machine').waitFor({ timeout: 10_000 });
      assert.match(await clusterRow.innerText(), new RegExp(`slurm · ${ssh.host}`));
      await shot('60-remote-target-pick');
      await input.fill('cluster');
      await page.waitForFunction(() => document.querySelectorAll('.quick-input-widget .monaco-list-row').length === 1, undefined, {
        timeout: 10_000,
      });
      await page.keyboard.press('Enter');

      // The run appears with the job's state: its job id, RUNNING and the node it runs on.
      const row = page.locator('.part.sidebar [role="treeitem"]', { hasText: 'remote_train' }).first();
      await row.waitFor({ timeout: 60_000 });
      const running = new RegExp(`cluster: job \\d+ RUNNING on ${cluster.node}`);
      await page.waitForFunction(([el, re]) => new RegExp(re).test(el.textContent ?? ''), [await row.elementHandle(), running.source], {
        timeout: 60_000,
        polling: 200,
      });
      const [remote] = storedRuns();
      assert.equal(remote?.status, 'running');
      assert.equal(remote.target?.kind, 'slurm');
      assert.match(remote.target?.jobId ?? '', /^\d+$/);
      assert.match(await row.innerText(), new RegExp(`job ${remote.target.jobId} RUNNING on ${cluster.node}`));
      await shot('61-remote-run-running');
      await page.mouse.move(1000, 300);

      // Then finished: the run's status comes back from the node, and the description shows its last metrics.
      const deadline = Date.now() + 90_000;
      let done;
      while (!(done = storedRuns().find((r) => r.id === remote.id && r.status !== 'running')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(done, 'the run ended within 90 s');
      assert.equal(done.status, 'finished', done.error);
      assert.equal(done.exitCode, 0);
      await page.waitForFunction((el) => /loss 0\.125/.test(el.textContent ?? ''), await row.elementHandle(), {
        timeout: 30_000,
        polling: 250,
      });
      // Its tooltip keeps where it ran: the target, the job and the node.
      const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: `Target cluster: job ${remote.target.jobId}` }).first();
      for (let attempt = 0; ; attempt++) {
        await page.mouse.move(1000, 300);
        await row.locator('.label-name').hover();
        try {
          await hover.waitFor({ timeout: 10_000 });
          break;
        } catch (e) {
          if (attempt === 2) throw e;
        }
      }
      assert.match(
        (await hover.innerText()).replace(/\s+/g, ' '),
        new RegExp(`Target cluster: job ${remote.target.jobId} \\w+ on ${cluster.node}`),
      );
      await shot('62-remote-run-finished');

      // The run folder synced back from the node holds exactly what the script logged.
      const points = readFileSync(join(workspace, '.mlw', 'runs', done.id, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((p) => p.k === 'loss' || p.k === 'acc');
      const expected = [];
      for (let i = 0; i < STEPS; i++) expected.push({ k: 'loss', v: 1 / (i + 1), s: i }, { k: 'acc', v: i / 10, s: i });
      assert.deepEqual(
        points.map(({ k, v, s }) => ({ k, v, s })),
        expected,
      );
      assert.match(readFileSync(join(workspace, '.mlw', 'runs', done.id, 'stdout.log'), 'utf8'), /done/);
    } catch (e) {
      await shot('6z-remote-run-failure').catch(() => undefined);
      throw e;
    }
  },
);
