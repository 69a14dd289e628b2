import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';
import { suggestTarget } from '../../src/features/deployments/containers/pushImageCommand';
import { runIdFromPath } from '../../src/features/deployments/deployContext';
import { keptFolder } from '../../src/features/deployments/containers/containerizeCommand';
import { containerDescription, containerEndpoint, lineageSteps } from '../../src/features/deployments/containers/containerNodes';
import { lineageMarkdown } from '../../src/features/deployments/targets/lineageDocument';

interface Manifest {
  contributes: {
    commands: { command: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    configuration: { properties: Record<string, { default?: unknown; markdownDescription?: string }> };
  };
}

const DEPLOY_COMMANDS = [
  'mlWorkbench.containerizeModel',
  'mlWorkbench.runContainer',
  'mlWorkbench.pushImage',
  'mlWorkbench.deployKubernetes',
  'mlWorkbench.containerLogs',
  'mlWorkbench.stopContainer',
  'mlWorkbench.restartContainer',
  'mlWorkbench.removeContainer',
  'mlWorkbench.openContainerMonitor',
  'mlWorkbench.copyEndpoint',
  'mlWorkbench.showLineage',
  'mlWorkbench.retryDocker',
];

async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  await ext.activate();
  return ext;
}

function workspaceUri(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

/** What the command's error policy showed: the message and its buttons, instead of a real notification. */
interface Shown {
  message: string;
  items: string[];
}

/** Replaces window.showErrorMessage (the extension shares this API object) while `body` runs. */
async function capturingErrors(body: (shown: Shown[]) => Promise<void>): Promise<void> {
  const window = vscode.window as { showErrorMessage: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showErrorMessage;
  const shown: Shown[] = [];
  window.showErrorMessage = (message: unknown, ...rest: unknown[]) => {
    shown.push({ message: String(message), items: rest.filter((r): r is string => typeof r === 'string') });
    return Promise.resolve(undefined);
  };
  try {
    await body(shown);
  } finally {
    window.showErrorMessage = original;
  }
}

describe('containers and deployments', () => {
  before(async () => {
    await activated();
  });

  it('registers the container and deploy commands in category ML with icons', async () => {
    const manifest = (await activated()).packageJSON as Manifest;
    const registered = await vscode.commands.getCommands(true);
    for (const id of DEPLOY_COMMANDS) {
      assert.ok(registered.includes(id), `${id} is not registered`);
      const declared = manifest.contributes.commands.find((c) => c.command === id);
      assert.ok(declared, `${id} is not declared`);
      assert.equal(declared.category, 'ML');
      assert.match(declared.icon ?? '', /^\$\([a-z-]+\)$/, `${id} has no codicon`);
    }
  });

  it('offers Containerize Model on ONNX models in the Models view and the Explorer, and container actions in Deployments', async () => {
    const { menus } = ((await activated()).packageJSON as Manifest).contributes;
    assert.ok(
      menus['view/item/context'].some(
        (m) =>
          m.command === 'mlWorkbench.containerizeModel' &&
          /view == mlWorkbench\.models/.test(m.when ?? '') &&
          /model\.onnx/.test(m.when ?? ''),
      ),
    );
    assert.ok(menus['explorer/context'].some((m) => m.command === 'mlWorkbench.containerizeModel' && /\.onnx/.test(m.when ?? '')));
    for (const id of [
      'mlWorkbench.containerLogs',
      'mlWorkbench.stopContainer',
      'mlWorkbench.removeContainer',
      'mlWorkbench.openContainerMonitor',
      'mlWorkbench.copyEndpoint',
      'mlWorkbench.restartContainer',
    ]) {
      assert.ok(
        menus['view/item/context'].some(
          (m) => m.command === id && /view == mlWorkbench\.deployments/.test(m.when ?? '') && /container/.test(m.when ?? ''),
        ),
        `${id} is not on container items`,
      );
    }
  });

  it('declares the base image setting and a "Docker engine not found" welcome with Retry and Open Settings', async () => {
    const { configuration, viewsWelcome } = ((await activated()).packageJSON as Manifest).contributes;
    const base = configuration.properties['mlWorkbench.docker.baseImage'];
    assert.ok(base, 'mlWorkbench.docker.baseImage is declared');
    assert.equal(typeof base.default, 'string');
    const welcome = viewsWelcome.find((w) => w.view === 'mlWorkbench.deployments' && w.when === 'mlWorkbench.dockerUnavailable');
    assert.ok(welcome, 'welcome content for a missing engine');
    assert.match(welcome.contents, /\(command:mlWorkbench\.retryDocker\)/);
    assert.match(welcome.contents, /\(command:workbench\.action\.openSettings/);
  });

  describe('with DOCKER_HOST pointing at a dead socket', () => {
    let dir: string;
    let savedHost: string | undefined;

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'mlw-dead-engine-'));
      savedHost = process.env.DOCKER_HOST;
      process.env.DOCKER_HOST = `unix://${path.join(dir, 'docker.sock')}`;
    });

    after(async () => {
      if (savedHost === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = savedHost;
      rmSync(dir, { recursive: true, force: true });
      // Connect to the real engine again (if any) for the suites after this one.
      await capturingErrors(async () => {
        await vscode.commands.executeCommand('mlWorkbench.retryDocker');
      });
    });

    it('Containerize Model says no engine answered, with Retry and Open Settings, not a stack trace', async () => {
      await capturingErrors(async (shown) => {
        await vscode.commands.executeCommand('mlWorkbench.retryDocker'); // forget any earlier connection
        shown.length = 0;
        const t0 = Date.now();
        const result = await vscode.commands.executeCommand('mlWorkbench.containerizeModel', workspaceUri('models', 'conv2d.onnx'));
        assert.equal(result, undefined);
        const ms = Date.now() - t0;
        assert.equal(shown.length, 1, JSON.stringify(shown));
        const [{ message, items }] = shown;
        assert.match(message, /No Docker engine answered/);
        assert.ok(message.includes(path.join(dir, 'docker.sock')), `the message names the socket it tried: ${message}`);
        assert.doesNotMatch(message, /\n\s+at /, 'no stack trace');
        assert.deepEqual(items, ['Retry', 'Open Settings', 'Show Log']);
        assert.ok(ms < 15_000, `the failure took ${ms} ms`);
      });
      // Nothing was written for a build that never started.
      const kept = await vscode.workspace.fs.stat(vscode.Uri.file(keptFolder(workspaceUri('models', 'conv2d.onnx').fsPath))).then(
        () => true,
        () => false,
      );
      assert.equal(kept, false);
    });

    it('container commands give the same message', async () => {
      await capturingErrors(async (shown) => {
        await vscode.commands.executeCommand('mlWorkbench.stopContainer');
        await waitFor('the error message', () => shown.length > 0);
        assert.match(shown[0].message, /No Docker engine answered/);
        assert.ok(shown[0].items.includes('Retry'));
      });
    });

    it('the Deployments view lists no containers and does not fail', async () => {
      await vscode.commands.executeCommand('mlWorkbench.deployments.focus');
      await capturingErrors(async (shown) => {
        await vscode.commands.executeCommand('mlWorkbench.refreshDeployments');
        assert.deepEqual(shown, [], 'refreshing the view shows no error notification');
      });
    });
  });

  it('derives names the way a user would expect', () => {
    assert.equal(suggestTarget('conv2d:latest', '127.0.0.1:5000/team'), '127.0.0.1:5000/team/conv2d:latest');
    assert.equal(suggestTarget('conv2d:latest', undefined), 'conv2d:latest');
    assert.equal(runIdFromPath(path.join('/ws', '.mlw', 'runs', '20260101-abc', 'artifacts', 'model.onnx')), '20260101-abc');
    assert.equal(runIdFromPath(path.join('/ws', 'models', 'model.onnx')), undefined);
    assert.equal(keptFolder('/ws/models/conv2d.onnx'), path.join('/ws/models', 'docker', 'conv2d'));
  });

  it('describes a container and its lineage from labels and lineage records', () => {
    const hash = 'cb8df62b22401aa644e46e13b55b7ac5f3c3814e002ff939a4bbe112720fc066';
    const c = {
      id: 'abc123def4567890',
      name: 'mlw-conv2d',
      image: 'conv2d:latest',
      state: 'running',
      health: 'healthy' as const,
      status: 'Up 3 seconds (healthy)',
      ports: [{ hostIp: '0.0.0.0', hostPort: 32768, containerPort: 8080 }],
      labels: { 'dev.mlworkbench.model': '/ws/models/conv2d.onnx', 'dev.mlworkbench.modelHash': hash, 'dev.mlworkbench.runId': 'run-7' },
      createdAt: 0,
    };
    assert.equal(containerEndpoint(c), 'http://127.0.0.1:32768', 'a wildcard binding is reached on loopback');
    assert.equal(containerDescription(c), 'healthy · conv2d:latest · :32768');
    assert.equal(containerDescription({ ...c, state: 'exited', health: undefined, ports: [] }), 'exited · conv2d:latest');
    const records = [
      {
        at: '2026-01-01T00:00:00Z',
        kind: 'image' as const,
        modelPath: '/ws/models/conv2d.onnx',
        modelHash: hash,
        image: 'conv2d:latest',
        imageId: 'sha256:0123456789abcdef',
      },
      {
        at: '2026-01-01T00:01:00Z',
        kind: 'push' as const,
        modelPath: '/ws/models/conv2d.onnx',
        modelHash: hash,
        reference: 'reg/conv2d@sha256:fedcba9876543210',
        digest: 'sha256:fedcba9876543210',
      },
      {
        at: '2026-01-01T00:02:00Z',
        kind: 'kubernetes' as const,
        modelPath: '/ws/models/conv2d.onnx',
        modelHash: hash,
        manifest: '/ws/deploy/k8s/conv2d-server.yaml',
      },
      { at: '2026-01-01T00:03:00Z', kind: 'image' as const, modelPath: '/ws/other.onnx', modelHash: 'other', image: 'other:latest' },
    ];
    const steps = lineageSteps(c, records);
    assert.deepEqual(
      steps.map((s) => s.label),
      ['Model', 'Run', 'Image', 'Pushed', 'Kubernetes'],
    );
    assert.equal(steps[0].description, 'conv2d.onnx · cb8df62b2240');
    assert.equal(steps[2].description, 'conv2d:latest · 0123456789ab');
    const md = lineageMarkdown(c, [...records, { ...records[0], image: 'a|b' }]);
    assert.match(md, /\| push \|/);
    assert.doesNotMatch(md, /other:latest/, 'records of other models stay out');
    assert.match(md, /a\\\|b/, 'a pipe in a value does not break the table');
  });
});
