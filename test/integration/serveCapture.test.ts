import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';
import { CAPTURE_LABEL } from '../../src/core/deploy/captureMount';
import { containerDescription, containerTooltip } from '../../src/features/deployments/containers/containerNodes';

const MODEL = 'conv2d';

describe('request capture from the editor', function () {
  this.timeout(60_000);
  let url: string | undefined;
  const config = () => vscode.workspace.getConfiguration('mlWorkbench');

  after(async () => {
    if (url) await vscode.commands.executeCommand('mlWorkbench.stopServer', url);
    await config().update('serve.captureRate', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('mlWorkbench.serve.captureRate turns capture on for a local server: requests land in .mlw/captures/MODEL/', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(folder, '.mlw', 'captures', MODEL);
    rmSync(dir, { recursive: true, force: true });
    const model = vscode.Uri.file(path.join(folder, 'models', `${MODEL}.onnx`));
    // The same file served, stopped, and served again at once (capture on): the new server keeps the port, so the
    // stopped one (still listed) and the new one share the URL, and commands given that URL must reach the new one.
    url = await vscode.commands.executeCommand<string | undefined>('mlWorkbench.serveModel', model);
    assert.ok(url, 'the first server started');
    await vscode.commands.executeCommand('mlWorkbench.stopServer', url);
    const first = url;
    await config().update('serve.captureRate', 1, vscode.ConfigurationTarget.Workspace);
    url = await vscode.commands.executeCommand<string | undefined>('mlWorkbench.serveModel', model);
    assert.equal(url, first, 'served again on the port it had');
    // Remove (of a server that stopped) given the shared URL removes the stopped one and leaves the new one serving.
    await vscode.commands.executeCommand('mlWorkbench.removeServer', url);
    assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200, 'Remove left the running server alone');
    const stats = (await (await fetch(`${url}/v2/models/${MODEL}/stats`)).json()) as {
      capture: { enabled: boolean; rate: number; dir: string };
    };
    assert.deepEqual([stats.capture.enabled, stats.capture.rate, stats.capture.dir], [true, 1, dir]);
    const answer = await vscode.commands.executeCommand<{ outputs?: unknown[] } | undefined>('mlWorkbench.sendTestRequest', url);
    assert.ok(answer?.outputs?.length, 'the test request reached the running server');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('mlWorkbench.stopServer', url);
    const stopped = url;
    url = undefined;
    await assert.rejects(
      fetch(`${stopped}/v2/health/live`, { signal: AbortSignal.timeout(5_000) }),
      'stopServer stopped the running server',
    );
    const index = path.join(dir, 'chunk-000001.jsonl');
    await waitFor(`${index} written`, () => existsSync(index), 10_000);
    const line = JSON.parse(readFileSync(index, 'utf8').trim().split('\n')[0]) as {
      protocol: string;
      model: string;
      inputs: { file: string }[];
    };
    assert.equal(line.model, MODEL);
    assert.equal(line.protocol, 'v2');
    assert.ok(existsSync(path.join(dir, line.inputs[0].file)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a container that captures says so in the Deployments view', () => {
    const c = {
      id: 'abc123def4567890',
      name: 'mlw-conv2d',
      image: 'conv2d:latest',
      state: 'running',
      health: 'healthy' as const,
      status: 'Up 3 seconds (healthy)',
      ports: [{ hostIp: '127.0.0.1', hostPort: 32768, containerPort: 8080 }],
      labels: { [CAPTURE_LABEL]: '0.1' },
      createdAt: 0,
    };
    assert.equal(containerDescription(c), 'healthy · conv2d:latest · :32768 · capturing 10 %');
    assert.match(containerTooltip(c, []).value, /Capture: capturing 10 % of requests into `\.mlw\/captures\/` \(bind-mounted\)/);
    assert.equal(containerDescription({ ...c, labels: {} }), 'healthy · conv2d:latest · :32768');
  });
});
